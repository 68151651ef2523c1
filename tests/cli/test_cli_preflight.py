"""Preflight and status look-ups that need no cluster: ports, registry ownership, kubectl's verdict."""

from __future__ import annotations

import os
import socket

import pytest
from cli_support import write_exe
from harness.docker_env import docker
from harness.names import free_port, unique_name
from support.pulumi_mocks import MOCK_OWNER

from kindplane.core.config import parse_config
from kindplane.ops import preflight

# A port this test process listens on is held by it: the message names the program and its pid.
ME = f"{open('/proc/self/comm').read().strip()} (pid {os.getpid()})"


def config_for(registry: str, port: int, persistent: bool = False):
    return parse_config(
        f"cluster:\n  name: {unique_name('kpt-pf')}\n"
        f"  registry: {{enabled: true, name: {registry}, port: {port}, persistent: {str(persistent).lower()}}}\n"
    )


def test_port_is_free_sees_a_listener():
    port = free_port()
    assert preflight.port_is_free(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not preflight.port_is_free(port)


def test_cluster_owner_problem_only_for_clusters_the_stack_did_not_create():
    nodes = [{"Names": ["/demo-control-plane"]}]
    assert preflight.cluster_owner_problem("demo", [], set(), "demo") is None
    assert preflight.cluster_owner_problem("demo", nodes, {"demo"}, "demo") is None
    assert "already exists and stack 'dev' did not create it" in preflight.cluster_owner_problem(
        "demo", nodes, set(), "dev"
    )


@pytest.mark.docker
def test_our_own_running_registry_on_the_port_is_not_a_conflict(registry_factory):
    started = registry_factory()
    config = config_for(started.name, started.port)
    client = preflight.connect_docker()
    assert not preflight.port_is_free(started.port)
    assert preflight.conflicts(config, client, set(), "test", MOCK_OWNER) == []
    # The same container seen from another stack is that stack's business: refused, named.
    problems = preflight.conflicts(config, client, set(), "e2e", "kindplane/e2e")
    assert problems == [
        f"the registry container '{started.name}' belongs to kindplane stack '{MOCK_OWNER}', not to "
        "this stack 'kindplane/e2e'. To share it, set cluster.registry.external: true (and drop port, "
        "persistent, listenAddress, image); else give this config its own cluster.registry.name and "
        "cluster.registry.port, or remove that stack first (`kindplane down -s test`)"
    ]


@pytest.mark.docker
def test_a_port_published_by_another_container_names_it(registry_factory):
    started = registry_factory()
    config = config_for(unique_name("kpt-other"), started.port)
    problems = preflight.conflicts(config, preflight.connect_docker(), set(), "s", "kindplane/s")
    assert problems == [
        f"port {started.port} on 127.0.0.1 is already in use by container {started.name}; stop it or "
        f"set cluster.registry.port to a free port in kindplane.yaml"
    ]


@pytest.mark.docker
def test_a_renamed_registry_may_take_the_port_its_old_container_publishes(registry_factory):
    started = registry_factory()  # this stack's (MOCK_OWNER): the update replaces it, deleting it first
    renamed = config_for(unique_name("kpt-renamed"), started.port)
    assert preflight.conflicts(renamed, preflight.connect_docker(), set(), "test", MOCK_OWNER) == []


@pytest.mark.docker
def test_a_foreign_container_with_the_registry_name_is_refused(registry_image, docker_ready):
    name = unique_name("kpt-foreign")
    docker("create", "--name", name, registry_image)
    try:
        problems = preflight.conflicts(
            config_for(name, free_port()), preflight.connect_docker(), set(), "s", "kindplane/s"
        )
    finally:
        docker("rm", "-f", name, check=False)
    assert len(problems) == 1
    assert f"a container named '{name}' exists but was not created by kindplane" in problems[0]
    assert f"docker rm -f {name}" in problems[0]


class FakeApiServer:
    """An HTTP server playing the cluster's API server for one ConfigMap GET, and a fake `kind`
    whose kubeconfig points at it: the doctor reads the ConfigMap as `kind get kubeconfig` says."""

    def __init__(self, tmp_path, monkeypatch, status: int, body: dict):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        seen = self.paths = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        kubeconfig = (
            "apiVersion: v1\nkind: Config\ncurrent-context: kind-demo\n"
            f"clusters: [{{name: kind-demo, cluster: {{server: 'http://127.0.0.1:{self.server.server_port}'}}}}]\n"
            "contexts: [{name: kind-demo, context: {cluster: kind-demo, user: kind-demo}}]\n"
            "users: [{name: kind-demo, user: {token: t}}]\n"
        )
        (tmp_path / "kubeconfig").write_text(kubeconfig)
        write_exe(
            tmp_path / "kind-bin" / "kind",
            f"#!/bin/sh\n[ \"$*\" = 'get kubeconfig --name demo' ] && cat {tmp_path / 'kubeconfig'}\n",
        )
        monkeypatch.setenv("PATH", f"{tmp_path / 'kind-bin'}:{os.environ['PATH']}")
        monkeypatch.setenv("KINDPLANE_HOME", str(tmp_path / "home"))  # no kind of `setup`'s first

    def check(self):
        from kindplane.ops.doctor import Doctor

        try:
            return Doctor(parse_config("cluster:\n  name: demo\n  registry: {enabled: true}\n")).check_configmap()
        finally:
            self.server.shutdown()


def test_configmap_missing_fails_and_says_up_writes_it(tmp_path, monkeypatch):
    api = FakeApiServer(tmp_path, monkeypatch, 404, {"kind": "Status", "reason": "NotFound"})
    result = api.check()
    assert (result.status, result.detail, result.fix) == ("fail", "missing", "kindplane up")
    assert api.paths == ["/api/v1/namespaces/kube-public/configmaps/local-registry-hosting"]


def test_configmap_as_kindplane_writes_it_passes(tmp_path, monkeypatch):
    from kindplane.core.render.discovery import local_registry_hosting

    data = local_registry_hosting(parse_config("cluster: {name: demo, registry: {enabled: true}}").cluster.registry)
    result = FakeApiServer(tmp_path, monkeypatch, 200, {"data": data}).check()
    assert (result.status, result.detail) == ("ok", "matches the registry")


def test_configmap_of_a_silent_cluster_is_skipped_not_failed(tmp_path, monkeypatch):
    api = FakeApiServer(tmp_path, monkeypatch, 200, {})
    api.server.shutdown()
    api.server.server_close()  # nothing listens at the kubeconfig's server now
    result = api.check()
    assert result.status == "skip"
    assert result.detail == "cluster kind-demo did not answer"


def ports_config(name: str, port: int, udp: int, mirror_port: int):
    return parse_config(
        f"cluster:\n  name: {name}\n"
        f"  portMappings: [{{containerPort: 80, hostPort: {port}}}, {{containerPort: 53, hostPort: {udp}, protocol: UDP}}]\n"
        f"  mirrors: [{{remote: 'https://ghcr.io', hostPort: {mirror_port}}}]\n"
    )


@pytest.mark.docker
def test_every_published_port_held_by_another_program_is_refused_with_its_key(docker_ready):
    port, udp, mirror_port = free_port(), free_port(), free_port()
    config = ports_config(unique_name("kpt-ports"), port, udp, mirror_port)
    client = preflight.connect_docker()
    assert preflight.conflicts(config, client, set(), "s", "kindplane/s") == []
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dgram, socket.socket() as mirror:
        tcp.bind(("127.0.0.1", port))
        tcp.listen()
        dgram.bind(("127.0.0.1", udp))
        mirror.bind(("127.0.0.1", mirror_port))
        mirror.listen()
        problems = preflight.conflicts(config, client, set(), "s", "kindplane/s")
    assert problems == [
        f"port {port} on 127.0.0.1 (cluster.portMappings[0].hostPort) is already in use by {ME}; "
        f"stop it or pick another port for cluster.portMappings[0].hostPort in kindplane.yaml",
        f"port {udp}/UDP on 127.0.0.1 (cluster.portMappings[1].hostPort) is already in use by another program; "
        f"stop it or pick another port for cluster.portMappings[1].hostPort in kindplane.yaml",
        f"port {mirror_port} on 127.0.0.1 (cluster.mirrors[0].hostPort) is already in use by {ME}; "
        f"stop it or pick another port for cluster.mirrors[0].hostPort in kindplane.yaml",
    ]


@pytest.mark.docker
def test_a_port_our_own_cluster_publishes_is_no_conflict_another_clusters_is_named(cluster_factory):
    from kindplane.core.render.kind_config import kind_config_yaml

    port = free_port()
    text = f"cluster:\n  name: {unique_name('kpt-ours')}\n  portMappings: [{{containerPort: 80, hostPort: {port}}}]\n"
    config = parse_config(text)
    cluster_factory(kind_config_yaml(config.cluster), name=config.cluster.name)  # `up` made it before
    client = preflight.connect_docker()
    assert preflight.conflicts(config, client, {config.cluster.name}, "s", "kindplane/s") == []
    other = parse_config(text.replace(config.cluster.name, unique_name("kpt-other")))
    assert preflight.conflicts(other, client, set(), "s", "kindplane/s") == [
        f"port {port} on 127.0.0.1 (cluster.portMappings[0].hostPort) is already in use by container "
        f"{config.cluster.name}-control-plane; stop it or pick another port for cluster.portMappings[0].hostPort in kindplane.yaml"
    ]


@pytest.mark.docker
def test_a_mirror_hostport_our_own_mirror_publishes_is_no_conflict(registry_image, docker_ready):
    from kindplane.core.naming import mirror_labels

    port, name = free_port(), unique_name("kpt-mir")
    config = parse_config(
        f"cluster:\n  name: {unique_name('kpt-pf')}\n  mirrors: [{{remote: 'https://ghcr.io', name: {name}, hostPort: {port}}}]\n"
    )
    labels = [
        arg
        for k, v in mirror_labels(config.cluster.mirrors[0], "kindplane/s").items()
        for arg in ("--label", f"{k}={v}")
    ]
    docker("run", "-d", "--name", name, *labels, "-p", f"127.0.0.1:{port}:5000", registry_image)
    try:
        client = preflight.connect_docker()
        assert preflight.host_port_problems(config.cluster, client) == []
        docker("rm", "-f", name)
        docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:5000", registry_image)  # no kindplane labels
        assert preflight.host_port_problems(config.cluster, client) == [
            f"port {port} on 127.0.0.1 (cluster.mirrors[0].hostPort) is already in use by container {name}; "
            f"stop it or pick another port for cluster.mirrors[0].hostPort in kindplane.yaml"
        ]
    finally:
        docker("rm", "-f", name, check=False)
