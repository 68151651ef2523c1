"""Wiring changed by hand (docs/reliability.md, the drift table), under the real engine: each change
is named by `kindplane status` and by a preview before the `up` that repairs it, one `up` through
either door repairs it, then every node fetches the images pushed before — from the registry and
through the mirror — and `pulumi preview` shows no change.
"""

from __future__ import annotations

import httpx
import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.fixtures import push_to
from harness.kube import KubeClient
from harness.mirrors import start_upstream
from harness.names import unique_name

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

    def assert_named(self, words: str) -> None:
        """status fails naming it, and both previews name it before anything is repaired."""
        status = self.kindplane("status", check=False)
        assert status.returncode == 1, status.stdout
        preview = self.kindplane("preview")
        assert f"kindplane: {words}" in self.project.pulumi("preview").stdout
        assert words in preview.stdout, preview.stdout

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
    wired.assert_named(f"{worker}: {registry_dir}/hosts.toml is missing or changed: up writes it again")
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
        f"{plane}: /etc/containerd/certs.d/docker.io/hosts.toml is missing or changed: up writes it again"
    )
    wired.up(door)
    wired.assert_served()

    # 3. The registry and 4. the mirror taken off the kind network.
    for name in (project.registry, wired.mirror):
        docker("network", "disconnect", "kind", name)
        wired.assert_named(f"{name} is not on the 'kind' network: up connects it again")
        wired.up(door)
        wired.assert_served()

    # 5. The discovery ConfigMap deleted in the cluster.
    client = KubeClient(project.outputs()["kubeconfig"])
    assert httpx.delete(client.server + CONFIGMAP, verify=client.ssl).status_code == 200
    wired.assert_named("the ConfigMap kube-public/local-registry-hosting is missing: up writes it again")
    wired.up(door)
    assert client.configmap("kube-public", "local-registry-hosting") is not None
    wired.assert_served()
