"""doctor's TLS checks against real containers: an intercepting proxy's chain named with its CA
and the fix, cleared by trustedCAs; a node whose trust lacks the bundle, and the same node once
the program's own write put it there."""

from __future__ import annotations

import pytest
from harness.mirrors import start_upstream
from harness.names import free_port, unique_name
from harness.shell import run_shell
from harness.tls_registries import start_interceptor
from support.certs import TestCA

from kindplane.core.config import parse_config
from kindplane.core.config.tls_files import read_tls_files
from kindplane.core.render import commands
from kindplane.core.render.kind_config import kind_config_yaml
from kindplane.core.render.tls import archive, folders_of, node_tls_files
from kindplane.ops.docker_lookup import docker_client
from kindplane.ops.tls_doctor import chain_problem, chain_result, node_trust

pytestmark = pytest.mark.docker


def test_an_intercepting_proxy_is_named_with_its_ca_and_trusted_cas_clears_it(docker_ready, registry_image):
    corporate = TestCA("Corp Proxy CA")
    port = free_port()
    upstream = start_upstream(unique_name("kpt-up"))
    interceptor = start_interceptor(unique_name("kpt-icpt"), corporate, upstream.url, port=port)
    try:
        url = f"https://localhost:{port}"
        problem = chain_problem(url)
        assert problem is not None and problem.startswith("x509: ")
        assert "the certificate localhost presents was issued by 'CN=Corp Proxy CA'" in problem
        assert "a TLS-intercepting proxy" in problem
        result = chain_result(url, "", "cluster.mirrors[0].remote")
        assert result.status == "fail"
        assert result.fix.startswith(f"openssl s_client -showcerts -connect localhost:{port} </dev/null")
        assert "cluster.trustedCAs, then `kindplane up`" in result.fix
        assert chain_problem(url, corporate.pem) is None
        assert chain_result(url, corporate.pem, "k").status == "ok"
        assert chain_result(f"https://localhost:{free_port()}", "", "k").status == "skip"  # nothing answers
    finally:
        interceptor.remove()
        upstream.remove()


def test_a_node_without_the_bundle_fails_and_passes_once_the_write_ran(cluster_factory, tmp_path):
    ca = TestCA("Corp Root CA")
    (tmp_path / "corp.pem").write_text(ca.pem)
    name = unique_name("kpt-tls")
    config = parse_config(f"cluster: {{name: {name}, trustedCAs: ['{tmp_path / 'corp.pem'}']}}")
    cluster = cluster_factory(kind_config_yaml(config.cluster), name=name)
    node = cluster.containerd_nodes()[0]
    files = read_tls_files(config.cluster, "kindplane.yaml")
    client = docker_client()
    [missing] = node_trust(config, client, files, "kindplane")
    assert missing.status == "fail"
    assert "/etc/containerd/certs.d/_default/kindplane-trusted-cas.crt" in missing.detail
    assert missing.fix == "kindplane up"
    wanted = node_tls_files(config.cluster, files)
    wrote = run_shell(commands.write_archive(node, folders_of(sorted(wanted))), archive(wanted))
    assert wrote.returncode == 0, wrote.stderr
    [present] = node_trust(config, client, files, "kindplane")
    assert present.status == "ok" and "the trustedCAs bundle included" in present.detail
