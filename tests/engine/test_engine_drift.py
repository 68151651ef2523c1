"""Wiring changed by hand (docs/reliability.md, the drift table), under the real engine: each change
is named by `kindplane status` and by the preview of the door whose one `up` then repairs it
(`kindplane preview` / `pulumi preview`: both doors walk every row), then every node fetches the
images pushed before — from the registry and through the mirror — and `pulumi preview` shows no
change.
"""

from __future__ import annotations

import os

import httpx
import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.fixtures import push_to
from harness.kube import KubeClient
from harness.mirrors import start_upstream
from harness.names import unique_name
from harness.registry import registry_get
from harness.shell import run_shell

KINDPLANE, PULUMI = "kindplane", "pulumi"
UPSTREAM_IMAGE = "docker.io/library/kpe-drift:v1"
CONFIGMAP = "/api/v1/namespaces/kube-public/configmaps/local-registry-hosting"


class Wired:
    """One project with a registry and a docker.io mirror, and the images pushed through both."""

    def __init__(self, project, app_image: str, upstream):
        self.project, self.upstream = project, upstream
        self.mirror = unique_name("kpe-mirror")
        project.write_config(
            project.config_path.read_text()
            + f"  mirrors:\n    - {{remote: '{upstream.url}', host: docker.io, name: {self.mirror}}}\n"
        )
        self.kindplane_up()
        self.pushed = push_to(f"localhost:{project.port}", app_image, "drift/app:v1")
        upstream.push(app_image, "library/kpe-drift:v1")
        self.cluster = StandinCluster(project.cluster)
        self.assert_served()

    def kindplane(self, *args: str, **kw):
        return self.project.kindplane("-c", str(self.project.config_path), *args, **kw)

    def kindplane_up(self):
        return self.kindplane("up")

    def up(self, door: str):
        if door == KINDPLANE:
            return self.kindplane_up()
        if not self.project.run(["pulumi", "stack", "ls", "--json"]).stdout.count('"e2e"'):
            self.project.init_stack()
        return self.project.up()

    def assert_named(self, words: str, door: str) -> None:
        """status fails naming it, and the preview of the door that repairs it names it before
        anything is repaired (each door's preview is walked over every row in its own test)."""
        status = self.kindplane("status", check=False)
        assert status.returncode == 1, status.stdout
        if door == KINDPLANE:
            preview = self.kindplane("preview")
            assert words in preview.stdout, preview.stdout
        else:
            assert f"kindplane: {words}" in self.project.pulumi("preview").stdout

    def assert_served(self) -> None:
        nodes = self.cluster.containerd_nodes()
        assert len(nodes) == 2
        for node in nodes:
            for ref in (self.pushed, UPSTREAM_IMAGE):
                fetched = self.cluster.ctr_fetch(node, ref)
                assert fetched.returncode == 0, f"{node} {ref}: {fetched.stderr}"
        self.project.pulumi("preview", "--expect-no-changes")


@pytest.fixture
def wired(new_project, app_image):
    upstream = start_upstream(unique_name("kpe-up"))
    try:
        yield Wired(new_project(workers=1), app_image, upstream)
    finally:
        upstream.remove()


@pytest.mark.parametrize("door", [KINDPLANE, PULUMI])
def test_each_change_to_the_wiring_made_by_hand_is_named_then_repaired_by_one_up(wired, door):
    project, worker, plane = wired.project, f"{wired.project.cluster}-worker", f"{wired.project.cluster}-control-plane"
    registry_dir = f"/etc/containerd/certs.d/localhost:{project.port}"

    # 1. The registry's hosts.toml removed from one node: that node no longer pulls from it.
    docker("exec", worker, "rm", "-rf", registry_dir)
    wired.assert_named(f"{worker}: {registry_dir}/hosts.toml is missing or changed: up writes it again", door)
    wired.up(door)
    assert wired.cluster.read_file(worker, f"{registry_dir}/hosts.toml").decode() == (
        f'[host."http://{project.registry}:5000"]\n'
    )
    wired.assert_served()

    # 2. The mirror's hosts.toml edited on another node.
    docker(
        "exec",
        plane,
        "sh",
        "-c",
        "echo 'server = \"https://elsewhere\"' > /etc/containerd/certs.d/docker.io/hosts.toml",
    )
    wired.assert_named(
        f"{plane}: /etc/containerd/certs.d/docker.io/hosts.toml is missing or changed: up writes it again", door
    )
    wired.up(door)
    wired.assert_served()

    # 3. The registry and 4. the mirror taken off the kind network.
    for name in (project.registry, wired.mirror):
        docker("network", "disconnect", "kind", name)
        wired.assert_named(f"{name} is not on the 'kind' network: up connects it again", door)
        wired.up(door)
        wired.assert_served()

    # 5. The discovery ConfigMap deleted in the cluster.
    client = KubeClient(project.outputs()["kubeconfig"])
    assert httpx.delete(client.server + CONFIGMAP, verify=client.ssl).status_code == 200
    wired.assert_named("the ConfigMap kube-public/local-registry-hosting is missing: up writes it again", door)
    wired.up(door)
    assert client.configmap("kube-public", "local-registry-hosting") is not None
    wired.assert_served()


def test_a_worker_removed_by_hand_is_asked_about_and_up_yes_makes_the_cluster_again(new_project, app_image):
    project = new_project(workers=1)
    kp = lambda *args, **kw: project.kindplane("-c", str(project.config_path), *args, **kw)  # noqa: E731
    kp("up")
    pushed = push_to(f"localhost:{project.port}", app_image, "drift/app:v1")
    worker, plane = f"{project.cluster}-worker", f"{project.cluster}-control-plane"
    docker("rm", "-f", worker)

    assert kp("status", check=False).returncode == 1
    preview = kp("preview").stdout.splitlines()
    assert f"~ node {worker} is gone (removed outside kindplane): up re-creates the cluster, after asking" in preview
    reason = f"cluster {project.cluster} will be re-created: every workload in it is lost; reason: {worker} removed outside kindplane"
    refused = kp("up", check=False)  # no terminal to ask on: never a green up with fewer nodes
    assert refused.returncode == 1
    assert f"warning: {reason}" in refused.stderr.splitlines()
    assert StandinCluster(project.cluster).nodes() == [plane]

    kp("up", "--yes")
    cluster = StandinCluster(project.cluster)
    assert cluster.containerd_nodes() == [plane, worker]
    for node in cluster.containerd_nodes():
        fetched = cluster.ctr_fetch(node, pushed)
        assert fetched.returncode == 0, f"{node}: {fetched.stderr}"
    project.pulumi("preview", "--expect-no-changes")


@pytest.mark.parametrize("door", [KINDPLANE, PULUMI])
def test_a_cluster_deleted_and_made_again_with_kind_is_recognised_and_wired_by_one_up(new_project, app_image, door):
    project = new_project(workers=1)
    kp = lambda *args, **kw: project.kindplane("-c", str(project.config_path), *args, **kw)  # noqa: E731
    if door == PULUMI:
        project.init_stack()
        project.up()
    else:
        kp("up")
    pushed = push_to(f"localhost:{project.port}", app_image, "drift/app:v1")
    old_server = KubeClient(project.outputs()["kubeconfig"]).server

    # What users mixing kind and kindplane do: kind's own delete and create, from kindplane's config.
    made = run_shell(
        f"kind delete cluster --name {project.cluster} && "
        f"KINDPLANE_HARNESS_APISERVER=1 kind create cluster --name {project.cluster} --config -",
        stdin=kp("config", "kind").stdout,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr

    status = kp("status", check=False)
    assert status.returncode == 1  # the new nodes have no hosts.toml yet
    up = kp("up") if door == KINDPLANE else project.up()
    assert up.returncode == 0
    client = KubeClient(project.outputs()["kubeconfig"])
    assert client.server != old_server  # the kubeconfig was read again from the new cluster
    assert client.configmap("kube-public", "local-registry-hosting") is not None
    cluster = StandinCluster(project.cluster)
    for node in cluster.containerd_nodes():
        fetched = cluster.ctr_fetch(node, pushed)
        assert fetched.returncode == 0, f"{node}: {fetched.stderr}"
    project.pulumi("preview", "--expect-no-changes")


def test_a_kept_registry_stopped_while_another_program_took_its_port_is_one_line(new_project, app_image):
    import socket

    project = new_project(persistent=True, workers=0)
    kp = lambda *args, **kw: project.kindplane("-c", str(project.config_path), *args, **kw)  # noqa: E731
    kp("up")
    push_to(f"localhost:{project.port}", app_image, "kept/app:v1")
    docker("stop", project.registry)
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the push's connections linger in TIME_WAIT
        holder.bind(("127.0.0.1", project.port))
        holder.listen()
        me = f"{open('/proc/self/comm').read().strip()} (pid {os.getpid()})"
        for door in (KINDPLANE, PULUMI):
            refused = kp("up", check=False) if door == KINDPLANE else project.up(check=False)
            assert refused.returncode != 0
            text = refused.stdout + refused.stderr
            assert f"port {project.port}" in text and f"is already in use by {me}" in text, text
            assert "Traceback" not in text and "500 Server Error" not in text, text
        assert kp("up", check=False).stderr.splitlines()[-1] == (
            f"error: port {project.port} on 127.0.0.1 is already in use by {me} (registry {project.registry} is "
            "stopped and cannot start on it); stop it or set cluster.registry.port to a free port in kindplane.yaml"
        )
    kp("up")  # the port is free again: the kept registry starts with its images
    assert registry_get(project.port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]
    project.pulumi("preview", "--expect-no-changes")
