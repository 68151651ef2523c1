"""TLS under the real engine, through `kindplane up` as users run it, on stand-in nodes.

The harness's TLS registries (harness.tls_registries): one whose certificate a private CA signed,
one that also asks for a client certificate, and a TLS-intercepting proxy stand-in (the "corporate"
CA re-signs the upstream's name) in front of a plain upstream that a pull-through mirror caches.
Every node fetches as containerd's CRI would (`ctr content fetch --hosts-dir /etc/containerd/certs.d`).
"""

from __future__ import annotations

from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.mirrors import mirror_blobs, start_upstream
from harness.names import unique_name
from harness.registry import remove_container, remove_volume
from harness.tls_registries import start_interceptor, start_tls_registry
from support.certs import TestCA

UNTRUSTED = "x509: certificate signed by unknown authority"


def fetch_on_every_node(cluster: StandinCluster, ref: str) -> dict[str, str]:
    """node → "" when `ref` was fetched, else what ctr said."""
    nodes = cluster.containerd_nodes()
    assert len(nodes) == 2, nodes
    results = {node: cluster.ctr_fetch(node, ref) for node in nodes}
    return {node: ("" if r.returncode == 0 else r.stderr.strip()[-400:]) for node, r in results.items()}


def test_trusted_cas_and_registries_reach_nodes_and_mirrors_in_one_up_each(new_project, app_image, tmp_path):
    """The walk: a mirror behind an intercepting proxy cannot even start without trustedCAs; with
    the proxy's CA in a trustedCAs file, it serves a cold pull on every node, and a registry that asks
    for a client certificate is reached with `ca` alone only once clientCert/clientKey are set; the
    private-CA registry is refused until that CA is added to the same file, and one `up` later every
    node trusts it. `preview` shows the edited file as a change and nothing after the up."""
    project = new_project()
    private, corporate, client_ca = TestCA("Private Registry CA"), TestCA("Corp Proxy CA"), TestCA("Client CA")
    mirror = unique_name("kpe-mirror")
    upstream = start_upstream(unique_name("kpe-up"))
    started = []
    try:
        upstream.push(app_image, "library/kpe-hello:v1")
        interceptor = start_interceptor(unique_name("kpe-icpt"), corporate, upstream.url)
        started.append(interceptor)
        private_reg = start_tls_registry(unique_name("kpe-tlsreg"), private, app_image, "kpe/hello:v1")
        started.append(private_reg)
        mtls = start_tls_registry(unique_name("kpe-mtls"), private, app_image, "kpe/hello:v1", client_ca)
        started.append(mtls)
        (tmp_path / "private.pem").write_text(private.pem)
        client_cert, client_key = client_ca.issue(["kpe-robot"], client=True).write(tmp_path, "robot")
        corp_file = tmp_path / "corp.pem"
        corp_file.write_text(corporate.pem)

        base = (
            f"cluster:\n  name: {project.cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n  mirrors:\n"
            f"    - {{remote: 'https://{interceptor.host}', host: docker.io, name: {mirror}, persistent: false}}\n"
        )
        kp = lambda *a, **kw: project.kindplane("-c", str(project.config_path), *a, **kw)  # noqa: E731

        # Without trustedCAs: distribution's proxy meets the interceptor's certificate at start and exits.
        project.write_config(base)
        failed = kp("up", check=False)
        assert failed.returncode == 1
        assert mirror in failed.stderr and UNTRUSTED in failed.stderr, failed.stderr[-3000:]
        cluster = StandinCluster(project.cluster)
        for problem in fetch_on_every_node(cluster, f"{private_reg.host}/kpe/hello:v1").values():
            assert UNTRUSTED in problem

        # The proxy's CA in a file: the mirror starts and serves a cold pull on every node.
        project.write_config(
            base + f"  trustedCAs: [{corp_file}]\n  registries:\n"
            f"    - {{host: '{mtls.host}', ca: {tmp_path / 'private.pem'}}}\n"
        )
        kp("up")
        assert fetch_on_every_node(cluster, "docker.io/library/kpe-hello:v1") == {
            n: "" for n in cluster.containerd_nodes()
        }
        assert mirror_blobs(mirror) == mirror_blobs(upstream.name)  # it came through the mirror's cache
        refused = fetch_on_every_node(cluster, f"{mtls.host}/kpe/hello:v1")
        assert all("certificate" in problem for problem in refused.values()), refused  # no client certificate
        still = fetch_on_every_node(cluster, f"{private_reg.host}/kpe/hello:v1")
        assert all(UNTRUSTED in problem for problem in still.values()), still
        project.pulumi("preview", "--expect-no-changes")

        # The bundle file edited (the private CA added) and the client certificate named: one up.
        corp_file.write_text(corporate.pem + private.pem)
        changed = project.pulumi("preview", "--expect-no-changes", check=False)
        assert changed.returncode != 0  # a changed file is a change preview shows
        project.write_config(
            base + f"  trustedCAs: [{corp_file}]\n  registries:\n"
            f"    - {{host: '{mtls.host}', ca: {tmp_path / 'private.pem'}, clientCert: {client_cert}, "
            f"clientKey: {client_key}}}\n"
        )
        kp("up")
        everywhere = {n: "" for n in cluster.containerd_nodes()}
        assert fetch_on_every_node(cluster, f"{private_reg.host}/kpe/hello:v1") == everywhere
        assert fetch_on_every_node(cluster, f"{mtls.host}/kpe/hello:v1") == everywhere
        assert fetch_on_every_node(cluster, "docker.io/library/kpe-hello:v1") == everywhere
        bundle = docker("exec", mirror, "cat", "/etc/ssl/certs/kindplane-trusted-cas.crt").stdout
        assert bundle == corporate.pem + private.pem  # the mirror was made again with the new bundle
        project.pulumi("preview", "--expect-no-changes")
    finally:
        project.kindplane("-c", str(project.config_path), "down", "--force", check=False)
        remove_container(mirror)
        remove_volume(f"{mirror}-data")
        for registry in started:
            registry.remove()
        upstream.remove()


def test_https_registry_push_fetch_everywhere_and_its_ca_survives_down_and_up(new_project, app_image):
    """registry.tls with persistent: the registry answers HTTPS only, with a certificate its CA
    (the stack output registryCA) signed for localhost; `docker push` works as is (dockerd skips
    verification for 127.0.0.0/8); every node fetches through both names; `down` keeps the volume
    and with it the CA, and the next `up` serves new nodes with the same CA. The CA removed from a
    node by hand is written back by the next `up`."""
    import socket
    import ssl

    project = new_project(persistent=True)
    text = (
        f"cluster:\n  name: {project.cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n  registry:\n"
        f"    enabled: true\n    name: {project.registry}\n    port: {project.port}\n    persistent: true\n"
        "    tls: true\n"
    )
    kp = lambda *a, **kw: project.kindplane("-c", str(project.config_path), *a, **kw)  # noqa: E731
    refs = [f"localhost:{project.port}/kpe/app:v1", f"{project.registry}:5000/kpe/app:v1"]
    try:
        project.write_config(text)
        kp("up")
        ca = project.outputs()["registryCA"]
        context = ssl.create_default_context(cadata=ca)
        with socket.create_connection(("127.0.0.1", project.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.version()  # verified against the CA, for the name localhost
        plain = docker("exec", project.registry, "wget", "-q", "-O", "-", "http://localhost:5000/v2/", check=False)
        assert plain.returncode != 0  # no plain HTTP

        ref = refs[0]
        docker("tag", app_image, ref)
        try:
            docker("push", ref)
        finally:
            docker("rmi", ref, check=False)
        listed = kp("registry", "ls")
        assert "kpe/app" in listed.stdout
        cluster = StandinCluster(project.cluster)
        for each in refs:
            assert fetch_on_every_node(cluster, each) == {n: "" for n in cluster.containerd_nodes()}
        node_ca = {
            n: cluster.read_file(n, f"/etc/containerd/certs.d/localhost:{project.port}/ca.crt")
            for n in cluster.containerd_nodes()
        }
        assert set(node_ca.values()) == {ca.encode()}
        project.pulumi("preview", "--expect-no-changes")

        # The CA removed from a node by hand (its hosts.toml left): the read-back sees it, up writes it back.
        worker, ca_path = f"{project.cluster}-worker", f"/etc/containerd/certs.d/localhost:{project.port}/ca.crt"
        docker("exec", worker, "rm", ca_path)
        assert fetch_on_every_node(cluster, refs[0])[worker] != ""
        kp("up")
        assert cluster.read_file(worker, ca_path) == ca.encode()
        assert fetch_on_every_node(cluster, refs[0]) == {n: "" for n in cluster.containerd_nodes()}

        kp("down", "--force")
        assert docker("volume", "inspect", f"{project.registry}-data", check=False).returncode == 0
        kp("up")
        assert project.outputs()["registryCA"] == ca  # the same CA, from the kept volume
        cluster = StandinCluster(project.cluster)
        for each in refs:
            assert fetch_on_every_node(cluster, each) == {n: "" for n in cluster.containerd_nodes()}
        for node in cluster.containerd_nodes():
            assert cluster.read_file(node, f"/etc/containerd/certs.d/localhost:{project.port}/ca.crt") == ca.encode()
        project.pulumi("preview", "--expect-no-changes")
    finally:
        kp("down", "--force", check=False)
        remove_container(project.registry)
        remove_volume(f"{project.registry}-data")
