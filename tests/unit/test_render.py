"""Renderings parsed back: kind config (YAML), hosts.toml (TOML), ConfigMap data, commands."""

from __future__ import annotations

import shlex
import tomllib

import pytest
import yaml

from kindplane.core.config import parse_config
from kindplane.core.naming import node_names
from kindplane.core.render import commands
from kindplane.core.render.containerd import config_path_patch, hosts_dirs, hosts_toml
from kindplane.core.render.discovery import CONFIGMAP_KEY, local_registry_hosting
from kindplane.core.render.kind_config import kind_config_yaml


def cluster(text: str):
    return parse_config(text).cluster


def kind_doc(text: str) -> dict:
    return yaml.safe_load(kind_config_yaml(cluster(text)))


def test_minimal_kind_config_is_one_control_plane_with_kinds_default_image():
    doc = kind_doc("cluster: {name: dev}")
    assert doc == {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": "dev",
        "nodes": [{"role": "control-plane"}],
    }


def test_registry_enabled_adds_the_containerd_config_path_patch():
    doc = kind_doc("cluster: {name: dev, registry: {enabled: true}}")
    [patch] = doc["containerdConfigPatches"]
    parsed = tomllib.loads(patch)
    assert parsed == {
        "plugins": {"io.containerd.grpc.v1.cri": {"registry": {"config_path": "/etc/containerd/certs.d"}}}
    }
    assert patch == config_path_patch()


def test_registry_disabled_leaves_containerd_untouched():
    assert "containerdConfigPatches" not in kind_doc("cluster: {name: dev}")


def test_nodes_image_ports_and_mounts():
    doc = kind_doc("""
cluster:
  name: dev
  kubernetesVersion: 1.31.0
  nodes: {controlPlane: 3, workers: 2}
  portMappings:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 53, hostPort: 5353, protocol: UDP, listenAddress: 0.0.0.0}
  extraMounts:
    - {hostPath: ./src, containerPath: /src, readOnly: true}
""")
    roles = [n["role"] for n in doc["nodes"]]
    assert roles == ["control-plane"] * 3 + ["worker"] * 2
    assert {n["image"] for n in doc["nodes"]} == {"kindest/node:v1.31.0"}
    assert all(
        n["extraMounts"] == [{"hostPath": "./src", "containerPath": "/src", "readOnly": True}] for n in doc["nodes"]
    )
    assert doc["nodes"][0]["extraPortMappings"] == [
        {"containerPort": 80, "hostPort": 8080, "listenAddress": "127.0.0.1", "protocol": "TCP"},
        {"containerPort": 53, "hostPort": 5353, "listenAddress": "0.0.0.0", "protocol": "UDP"},
    ]
    assert all("extraPortMappings" not in n for n in doc["nodes"][1:])


def test_hosts_toml_points_both_names_at_the_registry_on_the_kind_network():
    registry = cluster("cluster: {name: dev, registry: {enabled: true}}").registry
    assert tomllib.loads(hosts_toml(registry)) == {"host": {"http://kind-registry:5000": {}}}
    assert hosts_dirs(registry) == [
        "/etc/containerd/certs.d/localhost:5001",
        "/etc/containerd/certs.d/kind-registry:5000",
    ]


def test_hosts_toml_follows_custom_name_and_port():
    registry = cluster("cluster: {name: ci, registry: {enabled: true, name: ci-registry, port: 5002}}").registry
    assert tomllib.loads(hosts_toml(registry)) == {"host": {"http://ci-registry:5000": {}}}
    assert hosts_dirs(registry)[0] == "/etc/containerd/certs.d/localhost:5002"


def test_configmap_data_follows_kep_1755():
    registry = cluster("cluster: {name: ci, registry: {enabled: true, name: ci-registry, port: 5002}}").registry
    data = local_registry_hosting(registry)
    assert list(data) == [CONFIGMAP_KEY] == ["localRegistryHosting.v1"]
    assert yaml.safe_load(data[CONFIGMAP_KEY]) == {
        "host": "localhost:5002",
        "hostFromContainerRuntime": "ci-registry:5000",
        "hostFromClusterNetwork": "ci-registry:5000",
        "help": "https://kind.sigs.k8s.io/docs/user/local-registry/",
    }


@pytest.mark.parametrize(
    ("control_planes", "workers", "expected"),
    [
        (1, 0, ["dev-control-plane"]),
        (1, 2, ["dev-control-plane", "dev-worker", "dev-worker2"]),
        (3, 0, ["dev-control-plane", "dev-control-plane2", "dev-control-plane3"]),
        (3, 2, ["dev-control-plane", "dev-control-plane2", "dev-control-plane3", "dev-worker", "dev-worker2"]),
    ],
)
def test_node_names_follow_kind_and_skip_the_load_balancer(control_planes, workers, expected):
    spec = cluster(f"cluster: {{name: dev, nodes: {{controlPlane: {control_planes}, workers: {workers}}}}}")
    assert node_names(spec) == expected


def test_kind_commands_are_exact():
    spec = cluster("cluster: {name: dev}")
    assert commands.kind_create(spec) == "kind create cluster --name dev --config -"
    assert commands.kind_delete(spec) == "kind delete cluster --name dev"
    assert commands.kind_kubeconfig(spec) == "kind get kubeconfig --name dev"


def test_hosts_toml_command_writes_both_directories_from_stdin():
    registry = cluster("cluster: {name: dev, registry: {enabled: true}}").registry
    argv = shlex.split(commands.write_hosts_toml("dev-worker", registry))
    assert argv[:6] == ["docker", "exec", "-i", "dev-worker", "sh", "-c"]
    assert argv[6] == (
        "set -e; mkdir -p /etc/containerd/certs.d/localhost:5001; "
        "cat > /etc/containerd/certs.d/localhost:5001/hosts.toml; "
        "mkdir -p /etc/containerd/certs.d/kind-registry:5000; "
        "cp /etc/containerd/certs.d/localhost:5001/hosts.toml /etc/containerd/certs.d/kind-registry:5000/hosts.toml"
    )
    assert len(argv) == 7


def test_network_join_is_guarded_so_rerunning_is_harmless():
    registry = cluster("cluster: {name: dev, registry: {enabled: true, name: my-reg}}").registry
    assert commands.join_kind_network(registry.name, "kind") == (
        'if [ "$(docker inspect -f \'{{json (index .NetworkSettings.Networks "kind")}}\' my-reg)" = null ]; '
        "then docker network connect kind my-reg; fi"
    )


def test_the_create_on_update_skips_an_existing_cluster_and_still_reads_stdin():
    spec = cluster("cluster: {name: dev}")
    assert commands.kind_create_if_missing(spec) == (
        'if [ -n "$(kind get nodes --name dev 2>/dev/null)" ]; then cat >/dev/null; '
        "else kind create cluster --name dev --config -; fi"
    )


@pytest.mark.parametrize("node", ["a;rm -rf /", "$(id)", "x y", "../x"])
def test_commands_quote_even_values_the_schema_would_reject(node):
    """Defence in depth: a hostile node name stays one argument."""
    registry = cluster("cluster: {name: dev, registry: {enabled: true}}").registry
    for rendered in (commands.write_hosts_toml(node, registry), commands.remove_hosts_toml(node, registry)):
        argv = shlex.split(rendered)
        assert argv[argv.index("exec") + 1 + (argv[2] == "-i")] == node
