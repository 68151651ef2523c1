"""cluster.kind and cluster.ingress through the program's own `kind create`, on stand-in nodes.

The user's containerd patches reach the node's containerd, yet the registry's config_path that
containerd's CRI plugin starts with is still kindplane's (its patch is applied last); ingress
binds host ports 80 and 443 on loopback to the first control plane only.
"""

from __future__ import annotations

import tomllib

import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.names import HOST_PORTS_GROUP, free_port, unique_name
from harness.program_commands import program_commands
from harness.shell import run_program_command

from kindplane.core.naming import CERTS_DIR

# ingress publishes host ports 80 and 443: one such test at a time
pytestmark = [pytest.mark.docker, pytest.mark.xdist_group(HOST_PORTS_GROUP)]

FRAGMENT = """\
  ingress: true
  kind:
    containerdConfigPatches:
      - |
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/elsewhere"
      - |
        [debug]
          level = "debug"
    nodes:
      - labels: {team: a}
"""


@pytest.fixture(scope="module")
def made(node_image, kind_network):
    name, registry, port = unique_name("kpt"), unique_name("kpt-reg"), free_port()
    text = (
        f"cluster:\n  name: {name}\n  nodes: {{controlPlane: 1, workers: 1}}\n"
        f"  registry: {{enabled: true, name: {registry}, port: {port}}}\n" + FRAGMENT
    )
    commands = program_commands(text)
    try:
        created = run_program_command(commands.kind, "create")
        assert created.returncode == 0, created.stderr
        yield StandinCluster(name)
    finally:
        run_program_command(commands.kind, "delete")


def test_containerd_reads_the_users_patch_but_keeps_kindplanes_config_path(made):
    for node in made.containerd_nodes():
        config = tomllib.loads(made.exec(node, ["cat", "/etc/containerd/config.toml"]).stdout)
        assert config["debug"]["level"] == "debug", node
        assert made.cri_registry_config_path(node) == CERTS_DIR, node


def test_ingress_publishes_80_and_443_on_loopback_from_the_first_control_plane_only(made):
    first, worker = made.containerd_nodes()
    assert first.endswith("-control-plane") and worker.endswith("-worker")
    published = docker("port", first).stdout.split("\n")
    assert "80/tcp -> 127.0.0.1:80" in published
    assert "443/tcp -> 127.0.0.1:443" in published
    assert docker("port", worker).stdout.strip() == ""
