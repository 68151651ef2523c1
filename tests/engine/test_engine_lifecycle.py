"""`pulumi up` / `pulumi destroy` and `kindplane up` / `down` on this project, with the real engine.

Each test starts from an empty state in a copy of the project (its own backend folder), against
the real Docker engine, the `kind` stand-in (nodes running containerd, plus etcd and
kube-apiserver) and the provider plugins built by tests/harness/toolchain.sh.
"""

from __future__ import annotations

import pytest
from harness import apiserver
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.engine import container_id, volume_exists
from harness.fixtures import nodes_of_kind, push_to
from harness.images import NODE_KINDS
from harness.kube import KubeClient

from kindplane.core.config import load_config
from kindplane.core.naming import CERTS_DIR
from kindplane.core.render.containerd import hosts_dirs, hosts_toml
from kindplane.core.render.discovery import local_registry_hosting

CONFIGMAP_TYPE = "kubernetes:core/v1:ConfigMap"


def port_bindings(name: str) -> dict:
    import json

    return json.loads(docker("inspect", "-f", "{{json .HostConfig.PortBindings}}", name).stdout)


@pytest.mark.parametrize("node_kind", NODE_KINDS)
def test_pulumi_up_from_empty_state_wires_every_node_and_destroy_leaves_nothing(new_project, app_image, node_kind):
    """On containerd 2 nodes (kind v0.27+, kind's own base config) and containerd 1.x nodes."""
    project = new_project(control_planes=2, workers=1)
    spec = load_config(project.config_path).cluster
    project.init_stack()
    with nodes_of_kind(node_kind):
        project.up()

    # The registry: registry:2 published on 127.0.0.1:<port> only.
    assert port_bindings(project.registry) == {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(project.port)}]}

    # hosts.toml, byte for byte, in every mirror directory of every containerd node; none on the LB.
    cluster = StandinCluster(project.cluster)
    nodes = cluster.containerd_nodes()
    assert len(nodes) == 3
    balancer = f"{project.cluster}-external-load-balancer"
    assert balancer in cluster.nodes()
    for node in nodes:
        for folder in hosts_dirs(spec.registry):
            assert cluster.read_file(node, f"{folder}/hosts.toml").decode() == hosts_toml(spec.registry)
    on_balancer = cluster.exec(balancer, ["find", CERTS_DIR, "-name", "hosts.toml"])
    assert on_balancer.stdout.strip() == ""

    # The KEP-1755 ConfigMap, read back through the cluster's API server with its kubeconfig.
    outputs = project.outputs()
    found = KubeClient(outputs["kubeconfig"]).configmap("kube-public", "local-registry-hosting")
    assert found["data"] == local_registry_hosting(spec.registry)

    # An image pushed to localhost:<port> is fetched on every node through the hosts directory
    # containerd's CRI image service is configured with (kind's patch, merged into the node's config).
    ref = push_to(f"localhost:{project.port}", app_image, "my-app:latest")
    for node in nodes:
        assert cluster.cri_registry_config_path(node) == CERTS_DIR, node
        for address in (ref, f"{project.registry}:5000/my-app:latest"):
            fetched = cluster.cri_fetch(node, address)
            assert fetched.returncode == 0, f"{node} {address}: {fetched.stderr}"

    destroyed = project.destroy()
    assert CONFIGMAP_TYPE in destroyed.stdout  # gone with its cluster (deleted_with)
    assert apiserver.endpoint(project.cluster) is None  # the API server and its etcd data are gone
    assert container_id(project.registry) is None
    assert not volume_exists(f"{project.registry}-data")
    assert cluster.nodes() == []
    assert project.managed_resources() == []


def test_an_unchanged_second_up_changes_nothing(new_project):
    project = new_project(workers=0)
    project.init_stack()
    project.up()
    project.pulumi("preview", "--expect-no-changes")
    project.up("--expect-no-changes")


def test_kindplane_up_and_down_use_the_same_state_as_pulumi(new_project):
    project = new_project(workers=0)
    up = project.kindplane("-c", str(project.config_path), "up")
    assert f"Stack e2e · config {project.config_path} · project {project.root}" in up.stdout
    assert f"Cluster   {project.cluster}" in up.stdout
    # The Pulumi CLI on the project sees what kindplane made: one state, no second stack.
    assert project.outputs()["clusterName"] == project.cluster
    project.pulumi("preview", "--expect-no-changes")
    stacks = project.run(["pulumi", "stack", "ls", "--json"]).stdout
    assert [s["name"] for s in __import__("json").loads(stacks)] == ["e2e"]

    down = project.kindplane("-c", str(project.config_path), "down", "--force")
    assert f"Destroyed stack e2e (cluster {project.cluster})." in down.stdout
    assert f"Registry {project.registry} and its images were deleted." in down.stdout
    assert project.managed_resources() == []
    assert container_id(project.registry) is None
    assert StandinCluster(project.cluster).nodes() == []


def test_kind_experimental_docker_network_is_followed_as_kind_follows_it(new_project, app_image):
    from harness.names import unique_name

    network = unique_name("kpe-net")
    project = new_project(workers=0)
    project.init_stack()
    try:
        project.up(KIND_EXPERIMENTAL_DOCKER_NETWORK=network)
        import json

        joined = json.loads(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", project.registry).stdout)
        assert network in joined and "kind" not in joined
        cluster = StandinCluster(project.cluster)
        ref = push_to(f"localhost:{project.port}", app_image, "net/app:v1")
        fetched = cluster.ctr_fetch(cluster.containerd_nodes()[0], ref)
        assert fetched.returncode == 0, fetched.stderr
        project.pulumi("preview", "--expect-no-changes", KIND_EXPERIMENTAL_DOCKER_NETWORK=network)
        project.destroy(KIND_EXPERIMENTAL_DOCKER_NETWORK=network)
    finally:
        docker("network", "rm", network, check=False)


def test_a_relative_extra_mount_is_the_config_folders_not_the_engines(new_project):
    project = new_project(workers=0)
    (project.config_path.parent / "data").mkdir()
    (project.config_path.parent / "data" / "hello.txt").write_text("from the config's folder\n")
    project.write_config(
        project.config_path.read_text() + "  extraMounts:\n    - {hostPath: data, containerPath: /data}\n"
    )
    project.init_stack()
    project.up()
    node = StandinCluster(project.cluster).containerd_nodes()[0]
    assert StandinCluster(project.cluster).read_file(node, "/data/hello.txt") == b"from the config's folder\n"
