"""The program's own cluster and wiring commands, run for real against stand-in kind nodes.

One module-scoped environment per topology and node kind (1 control plane + 2 workers, and 3
control planes, on containerd 2 nodes with kind's own base config; 1 + 2 on containerd 1.x nodes):
registry started from the program's Container inputs, image pushed from the host, then the
program's `kind create`, network join and per-node hosts.toml commands run with `sh -c`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from harness.cluster import StandinCluster, node_roles
from harness.docker_env import docker
from harness.fixtures import nodes_of_kind
from harness.names import free_port, unique_name
from harness.program_commands import ProgramCommands, config_text, program_commands
from harness.registry import inspect, registry_get, remove_registry, run_registry
from harness.shell import run_program_command

from kindplane.core.naming import CERTS_DIR, KIND_NETWORK
from kindplane.core.render.containerd import hosts_dirs, hosts_toml

TOPOLOGIES = {
    "1cp-2workers-containerd2": (1, 2, "containerd2"),
    "3cp-containerd2": (3, 0, "containerd2"),
    "1cp-2workers-containerd1": (1, 2, "containerd1"),
}


@dataclass
class Wired:
    commands: ProgramCommands
    cluster: StandinCluster
    port: int
    registry: str
    before_hosts_toml: dict = field(default_factory=dict)  # node → ctr fetch result
    joins: list = field(default_factory=list)  # results of running the join command twice

    @property
    def spec(self):
        return self.commands.config.cluster.registry


@pytest.fixture(scope="module", params=list(TOPOLOGIES), ids=list(TOPOLOGIES))
def wired(request, registry_image, node_image, kind_network, app_image):
    control_planes, workers, node_kind = TOPOLOGIES[request.param]
    name, registry, port = unique_name("kpt"), unique_name("kpt-reg"), free_port()
    commands = program_commands(config_text(name, control_planes, workers, registry, port))
    env = Wired(commands, StandinCluster(name), port, registry)
    try:
        run_registry(commands.registry_container)
        ref = f"localhost:{port}/my-app:latest"
        docker("tag", app_image, ref)
        docker("push", ref)
        docker("rmi", ref)
        with nodes_of_kind(node_kind):
            created = run_program_command(commands.kind, "create")
        assert created.returncode == 0, created.stderr
        for node in env.cluster.containerd_nodes():
            env.before_hosts_toml[node] = env.cluster.ctr_fetch(node, ref)
        env.joins = [run_program_command(commands.network_join) for _ in range(2)]
        for node, cmd in commands.hosts_toml.items():
            result = run_program_command(cmd)
            assert result.returncode == 0, f"{cmd.create}: {result.stderr}"
        yield env
    finally:
        run_program_command(commands.kind, "delete")
        remove_registry(registry)


def test_kind_create_made_exactly_the_configured_nodes(wired):
    spec = wired.commands.config.cluster
    cps, workers = spec.nodes.control_plane, spec.nodes.workers
    expected = {f"{spec.name}-control-plane" + ("" if i == 1 else str(i)): "control-plane" for i in range(1, cps + 1)}
    expected |= {f"{spec.name}-worker" + ("" if i == 1 else str(i)): "worker" for i in range(1, workers + 1)}
    if cps > 1:
        expected[f"{spec.name}-external-load-balancer"] = "external-load-balancer"
    assert node_roles(spec.name) == expected


def test_hosts_toml_commands_cover_every_containerd_node_and_not_the_load_balancer(wired):
    assert sorted(wired.commands.hosts_toml) == wired.cluster.containerd_nodes()


def test_containerd_runs_with_the_config_path_patch(wired):
    """containerd's own loader reads config_path from kind's patch into the CRI image service
    (containerd 2: io.containerd.cri.v1.images, migrated from the version-2 file)."""
    for node in wired.cluster.containerd_nodes():
        assert wired.cluster.cri_registry_config_path(node) == CERTS_DIR, node


def test_hosts_toml_written_byte_exact_on_every_node(wired):
    expected = hosts_toml(wired.spec).encode()
    for node in wired.cluster.containerd_nodes():
        for directory in hosts_dirs(wired.spec):
            assert wired.cluster.read_file(node, f"{directory}/hosts.toml") == expected, (node, directory)


def test_network_join_connects_the_registry_to_kind_and_is_repeatable(wired):
    first, second = wired.joins
    assert (first.returncode, second.returncode) == (0, 0), (first.stderr, second.stderr)
    networks = inspect(wired.registry)["NetworkSettings"]["Networks"]
    assert sorted(networks) == ["bridge", KIND_NETWORK]


def test_fetch_without_hosts_toml_fails(wired):
    """Negative control: before the hosts.toml writes, the same fetch inside a node fails."""
    assert wired.before_hosts_toml
    for node, result in wired.before_hosts_toml.items():
        assert result.returncode != 0, node
        assert f"localhost:{wired.port}" in result.stderr


@pytest.mark.parametrize("address", ["host", "cluster"])
def test_every_node_fetches_through_hosts_toml(wired, address):
    host = f"localhost:{wired.port}" if address == "host" else f"{wired.registry}:5000"
    for node in wired.cluster.containerd_nodes():
        result = wired.cluster.cri_fetch(node, f"{host}/my-app:latest")
        assert result.returncode == 0, (node, result.stderr)


def test_hosts_toml_delete_command_removes_the_files_and_create_restores_them(wired):
    node = wired.cluster.containerd_nodes()[0]
    cmd = wired.commands.hosts_toml[node]
    assert run_program_command(cmd, "delete").returncode == 0
    for directory in hosts_dirs(wired.spec):
        assert wired.cluster.exec(node, ["test", "-e", f"{directory}/hosts.toml"]).returncode == 1
    assert wired.cluster.ctr_fetch(node, f"localhost:{wired.port}/my-app:latest").returncode != 0
    assert run_program_command(cmd, "create").returncode == 0
    assert wired.cluster.ctr_fetch(node, f"localhost:{wired.port}/my-app:latest").returncode == 0


def test_second_registry_with_custom_name_and_port_works_beside_the_first(wired, registry_factory, app_image):
    """A `ci-registry`-style second registry on another port, wired into the same nodes."""
    nodes = wired.commands.config.cluster.nodes
    second = registry_factory(
        name=unique_name("ci-registry"),
        cluster=wired.cluster.name,
        control_planes=nodes.control_plane,
        workers=nodes.workers,
    )
    assert sorted(second.commands.hosts_toml) == wired.cluster.containerd_nodes()
    assert second.port != wired.port
    second.push(app_image, "other-app:v2")
    for cmd in second.commands.hosts_toml.values():
        assert run_program_command(cmd).returncode == 0
    assert run_program_command(second.commands.network_join).returncode == 0
    assert registry_get(wired.port, "/v2/my-app/tags/list")[1]["tags"] == ["latest"]
    assert registry_get(second.port, "/v2/other-app/tags/list")[1]["tags"] == ["v2"]
    assert "other-app" not in registry_get(wired.port, "/v2/_catalog")[1]["repositories"]
    for node in wired.cluster.containerd_nodes():
        for ref in (
            f"localhost:{wired.port}/my-app:latest",
            f"{second.name}:5000/other-app:v2",
            f"localhost:{second.port}/other-app:v2",
        ):
            result = wired.cluster.ctr_fetch(node, ref)
            assert result.returncode == 0, (node, ref, result.stderr)
    # Leave the module's nodes as they were for the tests that follow.
    for cmd in second.commands.hosts_toml.values():
        run_program_command(cmd, "delete")
