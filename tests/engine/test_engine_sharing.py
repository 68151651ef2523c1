"""One registry, several clusters, under the real engine: `external: true` stacks use a registry
another stack (or kind's script) made, never create or delete it; a non-persistent owner's down
refuses while another cluster still pulls through its registry (--force only skips the question),
and deletes it with --delete-shared.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from harness.cluster import StandinCluster
from harness.engine import TIMEOUT, EngineProject, container_id
from harness.fixtures import push_to
from harness.kube import KubeClient
from harness.names import free_port, unique_name
from harness.registry import inspect, registry_get, remove_container, run_as_kinds_script

from kindplane.core.naming import KIND_NETWORK

DOCKER_TYPES = (
    "docker:index/container:Container",
    "docker:index/volume:Volume",
    "docker:index/remoteImage:RemoteImage",
)


def external_config(cluster: str, registry: str) -> str:
    return (
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n"
        f"  registry: {{enabled: true, external: true, name: {registry}}}\n"
    )


def on_a_terminal(project: EngineProject, *args: str) -> subprocess.CompletedProcess:
    """`kindplane ARGS` with a terminal on stdin, as a user runs it (output still captured)."""
    master, slave = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kindplane", *args],
            cwd=project.root,
            env=project.env(),
            stdin=slave,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    finally:
        os.close(slave)
        os.close(master)
    project.log.append(
        f"$ kindplane {' '.join(args)} (terminal)\n[exit {result.returncode}]\n{result.stdout}\n{result.stderr}"
    )
    return result


def assert_pulls_through_hosts_toml(cluster: str, ref: str) -> None:
    nodes = StandinCluster(cluster).containerd_nodes()
    assert len(nodes) == 2
    for node in nodes:
        fetched = StandinCluster(cluster).ctr_fetch(node, ref)
        assert fetched.returncode == 0, f"{node}: {fetched.stderr}"


def test_dev_owns_the_registry_e2e_shares_it_and_dev_deletes_it_only_with_delete_shared(new_project, app_image):
    dev = new_project(persistent=False, workers=0, stack="dev")
    dev.kindplane("-c", str(dev.config_path), "up")
    owner_id = container_id(dev.registry)
    ref = push_to(f"localhost:{dev.port}", app_image, "shared/app:v1")

    e2e = new_project(workers=1, stack="e2e", registry=dev.registry, port=dev.port)
    e2e.write_config(external_config(e2e.cluster, dev.registry))
    up = e2e.kindplane("-c", str(e2e.config_path), "up")
    assert (
        f"Registry  localhost:{dev.port} from the host and in pod specs, {dev.registry}:5000 from code inside pods (external: shared, never deleted by this stack)"
        in up.stdout
    )
    assert container_id(dev.registry) == owner_id  # used as it runs, not recreated
    assert not [r for r in e2e.managed_resources() if r["type"] in DOCKER_TYPES]
    outputs = e2e.outputs()
    assert outputs["registryHost"] == f"localhost:{dev.port}"
    data = KubeClient(outputs["kubeconfig"]).configmap("kube-public", "local-registry-hosting")["data"]
    assert f'host: "localhost:{dev.port}"' in data["localRegistryHosting.v1"]
    assert_pulls_through_hosts_toml(e2e.cluster, ref)
    e2e.pulumi("preview", "--expect-no-changes")

    # dev's registry is not persistent: its down would delete it under e2e, asked or not.
    refused = on_a_terminal(dev, "-c", str(dev.config_path), "down")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"registry {dev.registry} is also used by cluster {e2e.cluster}" in refused.stderr
    assert "`kindplane down --delete-shared`" in refused.stderr.replace("\n", " ")
    forced = dev.kindplane("-c", str(dev.config_path), "down", "--force", check=False)
    assert forced.returncode == 1  # --force only skips the question
    assert f"registry {dev.registry} is also used by cluster {e2e.cluster}" in forced.stderr
    # The owner's up that would take it away from e2e (another name: the images move, but e2e's
    # nodes pull through the old one) is held back the same way, --yes or not. (A new port would
    # not be: the container is re-created on its volume, images and name kept.)
    renamed = dev.config_path.read_text().replace(f"name: {dev.registry}", f"name: {unique_name('kpe-reg')}")
    dev.write_config(renamed)
    replacing = dev.kindplane("-c", str(dev.config_path), "up", "--yes", check=False)
    assert replacing.returncode == 1
    assert f"registry {dev.registry} is also used by cluster {e2e.cluster}" in replacing.stderr
    assert "up would rename it (the name their nodes pull through goes) under them" in replacing.stderr.replace(
        "\n", " "
    )
    assert container_id(dev.registry) == owner_id
    assert StandinCluster(dev.cluster).nodes() == [f"{dev.cluster}-control-plane"]

    deleted = dev.kindplane("-c", str(dev.config_path), "down", "--force", "--delete-shared")
    assert f"Registry {dev.registry} and its images were deleted." in deleted.stdout
    assert container_id(dev.registry) is None
    doctor = e2e.kindplane("-c", str(e2e.config_path), "doctor", check=False)
    assert doctor.returncode == 1
    assert f"no container named {dev.registry}; external: start it where it was made" in doctor.stdout

    # e2e's down never needed the registry: it goes away cleanly all the same.
    e2e.kindplane("-c", str(e2e.config_path), "down", "--force")
    assert StandinCluster(e2e.cluster).nodes() == []
    assert e2e.managed_resources() == []


def test_a_registry_made_by_kinds_script_is_shared_and_left_running_by_down(new_project, app_image):
    registry, port = unique_name("kind-registry"), free_port()
    try:
        run_as_kinds_script(registry, port)
        script_id = container_id(registry)
        ref = push_to(f"localhost:{port}", app_image, "team/app:v2")
        e2e = new_project(workers=1, stack="e2e", registry=registry, port=port)
        e2e.write_config(external_config(e2e.cluster, registry))
        e2e.kindplane("-c", str(e2e.config_path), "up")
        assert sorted(inspect(registry)["NetworkSettings"]["Networks"]) == ["bridge", KIND_NETWORK]
        assert_pulls_through_hosts_toml(e2e.cluster, ref)

        down = e2e.kindplane("-c", str(e2e.config_path), "down", "--force")
        assert f"Registry {registry} is external (shared): left running, still on the kind network." in down.stdout
        assert container_id(registry) == script_id
        assert inspect(registry)["State"]["Status"] == "running"
        assert registry_get(port, "/v2/team/app/tags/list")[1]["tags"] == ["v2"]
        assert StandinCluster(e2e.cluster).nodes() == []
    finally:
        remove_container(registry)
