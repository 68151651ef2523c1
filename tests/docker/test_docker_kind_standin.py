"""The `kind` stand-in behaves like kind: names, exit codes, strict config, the program's commands."""

from __future__ import annotations

import pytest
from harness.cluster import cluster_containers, node_roles
from harness.docker_env import docker
from harness.names import unique_name
from harness.program_commands import config_text, program_commands
from harness.registry import inspect
from harness.shell import run_program_command, run_shell

PATCH = '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'


def kind_yaml(body: str) -> str:
    return "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n" + body


@pytest.mark.parametrize(
    "text, message",
    [
        ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n", "unknown apiVersion"),
        ("kind: Clusterz\napiVersion: kind.x-k8s.io/v1alpha4\n", 'unknown kind "Clusterz"'),
        (kind_yaml("nodez: []\n"), 'unknown field "nodez"'),
        (kind_yaml("nodes:\n- role: control-plane\n  imagez: x\n"), 'unknown field "imagez"'),
        (kind_yaml("nodes:\n- role: master\n"), "'master' is not a valid node role"),
        (kind_yaml("nodes:\n- role: worker\n"), "at least one node with role control-plane"),
        (kind_yaml("name: a\nname: b\n"), 'mapping key "name" already defined'),
        (kind_yaml("containerdConfigPatches:\n- '[plugins'\n"), "invalid TOML"),
    ],
)
def test_a_config_kind_would_reject_is_rejected_and_nothing_is_created(text, message):
    name = unique_name("kpt")
    result = run_shell(f"kind create cluster --name {name} --config -", text)
    assert result.returncode == 1
    assert result.stderr.startswith("ERROR: failed to create cluster: ")
    assert message in result.stderr
    assert cluster_containers(name) == []


def test_name_flag_overrides_the_config_name_and_existing_cluster_is_an_error(cluster_factory):
    name, config_name = unique_name("kpt"), unique_name("kpt")
    cluster = cluster_factory(kind_yaml(f"name: {config_name}\nnodes:\n- role: control-plane\n"), name=name)
    assert cluster.nodes() == [f"{name}-control-plane"]
    assert cluster_containers(config_name) == []
    again = run_shell(f"kind create cluster --name {name} --config -", kind_yaml("nodes:\n- role: control-plane\n"))
    assert again.returncode == 1
    assert f'node(s) already exist for a cluster with the name "{name}"' in again.stderr
    listed = run_shell(f"kind get nodes --name {name}")
    assert (listed.returncode, listed.stdout) == (0, f"{name}-control-plane\n")
    kubeconfig = run_shell(f"kind get kubeconfig --name {name}")
    assert kubeconfig.returncode == 0 and f"current-context: kind-{name}" in kubeconfig.stdout


def test_config_from_a_file_and_the_config_name_when_no_flag(cluster_factory, tmp_path):
    name = unique_name("kpt")
    path = tmp_path / "kind.yaml"
    path.write_text(kind_yaml(f"name: {name}\n"))
    cluster_factory.names.append(name)  # cleaned up even if the assertions fail
    created = run_shell(f"kind create cluster --config {path}")
    assert created.returncode == 0, created.stderr
    assert node_roles(name) == {f"{name}-control-plane": "control-plane"}  # no nodes: kind's default


def test_delete_of_a_missing_cluster_succeeds_like_kind():
    name = unique_name("kpt")
    result = run_shell(f"kind delete cluster --name {name}")
    assert result.returncode == 0
    assert f'Deleting cluster "{name}"' in result.stderr
    missing = run_shell(f"kind get kubeconfig --name {name}")
    assert missing.returncode == 1


def test_the_programs_create_and_delete_commands_make_and_remove_exactly_its_nodes(cluster_factory, registry_image):
    """Item 6: 2 control planes + 3 workers through the program's own command strings."""
    name, other = unique_name("kpt"), unique_name("kpt")
    bystander = cluster_factory(kind_yaml("nodes:\n- role: control-plane\n"), name=other)
    commands = program_commands(config_text(name, 2, 3, unique_name("kpt-reg"), 5999))
    cluster_factory.names.append(name)
    created = run_program_command(commands.kind, "create")
    assert created.returncode == 0, created.stderr
    assert node_roles(name) == {
        f"{name}-control-plane": "control-plane",
        f"{name}-control-plane2": "control-plane",
        f"{name}-external-load-balancer": "external-load-balancer",
        f"{name}-worker": "worker",
        f"{name}-worker2": "worker",
        f"{name}-worker3": "worker",
    }
    config = run_shell(f"docker exec {name}-worker3 cat /etc/containerd/config.toml").stdout
    assert 'config_path = "/etc/containerd/certs.d"' in config
    kubeconfig = run_program_command(commands.kubeconfig, "create")
    assert kubeconfig.returncode == 0 and f"current-context: kind-{name}" in kubeconfig.stdout
    deleted = run_program_command(commands.kind, "delete")
    assert deleted.returncode == 0, deleted.stderr
    assert cluster_containers(name) == []
    assert bystander.nodes() == [f"{other}-control-plane"]  # another cluster is never touched
    # Running destroy again (e.g. after a failed run) is harmless.
    assert run_program_command(commands.kind, "delete").returncode == 0


def test_patch_is_what_makes_containerd_use_config_path(cluster_factory):
    """Without kind's containerdConfigPatches the node's containerd has no config_path."""
    plain = cluster_factory(kind_yaml("nodes:\n- role: control-plane\n"))
    patched = cluster_factory(
        kind_yaml(
            "nodes:\n- role: control-plane\ncontainerdConfigPatches:\n- |\n"
            + "".join(f"  {line}\n" for line in PATCH.splitlines())
        )
    )
    assert plain.cri_registry_config_path(plain.nodes()[0]) == ""
    assert patched.cri_registry_config_path(patched.nodes()[0]) == "/etc/containerd/certs.d"


def test_a_failed_create_removes_its_nodes_and_leaves_foreign_containers(node_image):
    name = unique_name("kpt")
    squatter = f"{name}-worker"  # a container that is not a kind node holds a node's name
    docker("run", "-d", "--name", squatter, "--entrypoint", "/bin/sleep", node_image, "300")
    try:
        result = run_shell(
            f"kind create cluster --name {name} --config -",
            kind_yaml("nodes:\n- role: control-plane\n- role: worker\n"),
        )
        assert result.returncode == 1
        assert result.stderr.splitlines()[-1].startswith("ERROR: failed to create cluster: ")
        assert squatter in result.stderr
        assert cluster_containers(name) == []
        assert inspect(squatter)["State"]["Running"] is True
    finally:
        docker("rm", "-f", squatter, check=False)
        run_shell(f"kind delete cluster --name {name}")
