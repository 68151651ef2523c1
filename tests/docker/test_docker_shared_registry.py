"""external: true against a registry made by the guide's own `docker run` (kind's script).

The registry is started with exactly the guide's command (a unique name and a free port instead
of kind-registry and 5001, so parallel runs never clash); the program looks it up in Docker,
and its own network-join and hosts.toml commands run against stand-in kind nodes, which then
fetch through hosts.toml. The same nodes are what `down` finds as the registry's users.
"""

from __future__ import annotations

import pytest
from harness.docker_env import docker
from harness.fixtures import push_to
from harness.names import free_port, unique_name
from harness.program_commands import program_commands
from harness.registry import inspect, remove_container, run_as_kinds_script
from harness.shell import kindplane, run_program_command
from support.pulumi_mocks import MOCK_OWNER

from kindplane.core.naming import KIND_NETWORK
from kindplane.ops import preflight
from kindplane.ops.registry.external import find_shared_registry
from kindplane.ops.registry.pulling_clusters import clusters_using_registry


@pytest.fixture
def script_registry(registry_image):
    """kind's script: docker run -d --restart=always -p "127.0.0.1:5001:5000" --network bridge --name kind-registry registry:2"""
    name, port = unique_name("kind-registry"), free_port()
    try:
        run_as_kinds_script(name, port)
        yield name, port
    finally:
        remove_container(name)


def external_config(cluster: str, registry: str, workers: int = 1) -> str:
    return (
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: {workers}}}\n"
        f"  registry: {{enabled: true, external: true, name: {registry}}}\n"
    )


def test_a_cluster_with_external_true_pulls_from_kinds_script_registry(script_registry, cluster_factory, app_image):
    registry, port = script_registry
    ref = push_to(f"localhost:{port}", app_image, "shared/app:v1")
    client = preflight.connect_docker()
    found = find_shared_registry(
        program_commands(external_config("x", registry)).config.cluster.registry, MOCK_OWNER, client
    )
    assert (found.port, found.owner) == (port, None)  # its own port, read from Docker

    commands = program_commands(external_config(unique_name("kpt-ext"), registry))
    assert commands.registry_container is None and commands.registry_volume is None  # never created
    assert preflight.conflicts(commands.config, client, set(), "test", MOCK_OWNER) == []
    cluster = cluster_factory.from_commands(commands)
    assert clusters_using_registry(client, registry, {"someone-else"}) == []  # no hosts.toml yet

    assert run_program_command(commands.network_join).returncode == 0
    for node, cmd in commands.hosts_toml.items():
        assert run_program_command(cmd).returncode == 0, (node, cmd.create)
    assert sorted(inspect(registry)["NetworkSettings"]["Networks"]) == ["bridge", KIND_NETWORK]
    for node in cluster.containerd_nodes():
        for address in (f"localhost:{port}", f"{registry}:5000"):
            result = cluster.ctr_fetch(node, f"{address}/shared/app:v1")
            assert result.returncode == 0, (node, address, result.stderr)
    assert ref == f"localhost:{port}/shared/app:v1"

    # What a non-persistent owner's down looks for: this cluster pulls through the registry.
    assert clusters_using_registry(client, registry, {"someone-else"}) == [cluster.name]
    assert clusters_using_registry(client, registry, {cluster.name}) == []  # never counts itself
    assert clusters_using_registry(client, unique_name("other-reg"), {"someone-else"}) == []


def test_a_stopped_or_missing_external_registry_is_refused_before_anything(script_registry, node_image):
    registry, _ = script_registry
    client = preflight.connect_docker()
    config = program_commands(external_config(unique_name("kpt-ext"), registry)).config
    docker("stop", registry)
    assert preflight.conflicts(config, client, set(), "test", MOCK_OWNER) == [
        f"the external registry container {registry!r} is exited, not running; start it with "
        f"`docker start {registry}` and run up again"
    ]
    remove_container(registry)
    [missing] = preflight.conflicts(config, client, set(), "test", MOCK_OWNER)
    assert missing.startswith(f"cluster.registry.external is true, but no container named {registry!r} exists")


def test_a_port_mapping_on_the_external_registrys_port_is_refused(script_registry, node_image):
    registry, port = script_registry
    text = (
        f"cluster:\n  name: {unique_name('kpt-ext')}\n  portMappings: [{{containerPort: 80, hostPort: {port}}}]\n"
        f"  registry: {{enabled: true, external: true, name: {registry}}}\n"
    )
    config = program_commands(text).config
    assert preflight.conflicts(config, preflight.connect_docker(), set(), "test", MOCK_OWNER) == [
        f"portMappings[0].hostPort: {port} is the port the external registry {registry} publishes; "
        "pick another hostPort in kindplane.yaml"
    ]


def test_registry_and_doctor_commands_use_the_external_registrys_live_port(script_registry, app_image, tmp_path):
    import json

    registry, port = script_registry
    push_to(f"localhost:{port}", app_image, "shared/app:v1")
    path = tmp_path / "kindplane.yaml"
    path.write_text(external_config(unique_name("kpt-ext"), registry))

    listed = kindplane(path, "registry", "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    assert f"localhost:{port}" in listed.stdout and "shared/app" in listed.stdout
    checks = {c["name"]: c for c in json.loads(kindplane(path, "doctor", "--json").stdout)["checks"]}
    assert checks[f"GET http://localhost:{port}/v2/"]["status"] == "ok"
    # How an external registry is published is its owner's choice: nothing to fix from here.
    assert checks[f"registry published on 127.0.0.1:{port} only"]["status"] == "skip"

    status = kindplane(path, "status").stdout.splitlines()  # exit 1: this test has no cluster, only the registry
    assert f"✓ registry container {registry} running" in status  # not "kindplane did not create it"
    assert f"✓ GET http://localhost:{port}/v2/" in status

    docker("stop", registry)
    stopped = kindplane(path, "registry", "ls")
    assert stopped.returncode == 1
    assert f"the external registry container {registry!r} is exited, not running" in stopped.stderr
    container = {c["name"]: c for c in json.loads(kindplane(path, "doctor", "-o", "json").stdout)["checks"]}[
        f"registry container {registry} running"
    ]
    assert (container["status"], container["fix"]) == ("fail", f"docker start {registry}")

    docker("rm", "-f", registry)
    gone = {c["name"]: c for c in json.loads(kindplane(path, "doctor", "-o", "json").stdout)["checks"]}[
        f"registry container {registry} running"
    ]
    assert gone["status"] == "fail" and gone["fix"] is None  # never `kindplane up`: this stack cannot make it
    assert "external: start it where it was made" in gone["detail"]
