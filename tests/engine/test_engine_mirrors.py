"""Pull-through mirrors under the real engine, through `kindplane up` / `down`.

A registry:2 container on the kind network plays docker.io. The persistent mirror must outlive
`kindplane down` with its cache, be taken back by the next `up` (a new container on the same
cache), and serve the nodes of the new cluster with the upstream stopped; its credentials stay
secret in the state and the output, and a rotated token reaches the container.
"""

from __future__ import annotations

import json
import uuid

from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.engine import container_id, volume_exists
from harness.mirrors import mirror_blobs, start_upstream
from harness.names import free_port, unique_name
from harness.registry import remove_container, remove_volume

IMAGE = "docker.io/library/kpe-hello:v1"


def mirror_config(cluster: str, remote: str, mirror: str) -> str:
    return (
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n  mirrors:\n"
        f"    - remote: {remote}\n      host: docker.io\n      name: {mirror}\n      persistent: true\n"
        f"      usernameEnv: KPE_MIRROR_USER\n      passwordEnv: KPE_MIRROR_TOKEN\n"
    )


def fetch_everywhere(cluster: StandinCluster) -> None:
    nodes = cluster.containerd_nodes()
    assert len(nodes) == 2
    for node in nodes:
        fetched = cluster.ctr_fetch(node, IMAGE)
        assert fetched.returncode == 0, f"{node}: {fetched.stderr}"


def mirror_env(name: str) -> str:
    return docker("inspect", "-f", "{{json .Config.Env}}", name).stdout


def test_persistent_mirror_keeps_its_cache_across_down_and_up_and_its_secret(new_project, app_image):
    project = new_project()
    mirror = unique_name("kpe-mirror")
    upstream = start_upstream(unique_name("kpe-up"))
    token = f"tok-{uuid.uuid4().hex}"
    secrets = {"KPE_MIRROR_USER": "robot", "KPE_MIRROR_TOKEN": token}
    kp = lambda *args, **kw: project.kindplane("-c", str(project.config_path), *args, **{**secrets, **kw})  # noqa: E731
    try:
        upstream.push(app_image, "library/kpe-hello:v1")
        project.write_config(mirror_config(project.cluster, upstream.url, mirror))
        up = kp("up")
        assert f"Mirror    docker.io pulls via {mirror}:5000 (cache of {upstream.url}; persistent" in up.stdout
        assert f"REGISTRY_PROXY_PASSWORD={token}" in mirror_env(mirror)  # the mirror got it …
        state = project.run(["pulumi", "stack", "export", "--stack", project.stack]).stdout
        for text in (up.stdout, up.stderr, state):
            assert token not in text  # … but neither the output nor the state shows it

        fetch_everywhere(StandinCluster(project.cluster))
        cached = mirror_blobs(mirror)
        assert cached == mirror_blobs(upstream.name) and len(cached) == 3
        project.pulumi("preview", "--expect-no-changes", **secrets)

        down = kp("down", "--force")
        assert down.returncode == 0
        assert StandinCluster(project.cluster).nodes() == []
        assert container_id(mirror) is not None and volume_exists(f"{mirror}-data")

        # Taken back under management: a new container on the kept cache. registry:2 starts a proxy
        # with credentials only when it reaches the upstream, so that is stopped only afterwards.
        kp("up")
        assert mirror_blobs(mirror) == cached
        upstream.stop()  # from now on only the mirror's cache can serve the image
        fetch_everywhere(StandinCluster(project.cluster))  # fresh nodes, served from the cache
        project.pulumi("preview", "--expect-no-changes", **secrets)
    finally:
        kp("down", "--force", check=False)
        remove_container(mirror)
        remove_volume(f"{mirror}-data")
        upstream.remove()


def test_every_edit_of_a_persistent_mirror_converges_in_one_up_and_keeps_its_cache(new_project, app_image):
    """Credentials rotated (through either door), hostPort, the kind network variable, persistent
    off, kept after down: each in one up, the cache kept, every node served, no change left."""
    project = new_project()
    mirror = unique_name("kpe-mirror")
    upstream = start_upstream(unique_name("kpe-up"))
    network = unique_name("kpe-net")
    env = {"KPE_MIRROR_USER": "robot", "KPE_MIRROR_TOKEN": "tok-1"}
    text = mirror_config(project.cluster, upstream.url, mirror)

    def up(door="kindplane", **changes):
        env.update(changes)
        if door == "kindplane":
            # --yes: the network change re-creates the cluster, which up asks about (the safety tests)
            project.kindplane("-c", str(project.config_path), "up", "--yes", **env)
        else:
            project.up(**env)
        fetch_everywhere(StandinCluster(project.cluster))
        assert mirror_blobs(mirror) >= cached  # the cache is kept
        project.pulumi("preview", "--expect-no-changes", **env)

    try:
        upstream.push(app_image, "library/kpe-hello:v1")
        project.write_config(text)
        project.kindplane("-c", str(project.config_path), "up", **env)
        fetch_everywhere(StandinCluster(project.cluster))
        cached = mirror_blobs(mirror)

        up(KPE_MIRROR_TOKEN="tok-2")  # rotated: the revoked token is gone from the container
        assert "REGISTRY_PROXY_PASSWORD=tok-2" in mirror_env(mirror) and "tok-1" not in mirror_env(mirror)
        up("pulumi", KPE_MIRROR_TOKEN="tok-3")
        assert "REGISTRY_PROXY_PASSWORD=tok-3" in mirror_env(mirror)

        project.write_config(text + "      hostPort: " + str(free_port()) + "\n")
        up()
        # Another kind network: kind puts a new cluster's nodes on it, the mirror follows.
        docker("network", "create", network)
        docker("network", "connect", network, upstream.name)
        up(KIND_EXPERIMENTAL_DOCKER_NETWORK=network)
        assert network in json.loads(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", mirror).stdout)

        project.kindplane("-c", str(project.config_path), "down", "--force", **env)
        assert container_id(mirror) is not None  # kept, with its cache
        up(KPE_MIRROR_TOKEN="tok-4")  # rotated while kept
        assert "REGISTRY_PROXY_PASSWORD=tok-4" in mirror_env(mirror)

        project.write_config(project.config_path.read_text().replace("persistent: true", "persistent: false"))
        up()
        down = project.kindplane("-c", str(project.config_path), "down", "--force", **env)
        assert down.returncode == 0
        assert container_id(mirror) is None and not volume_exists(f"{mirror}-data")  # not kept, as asked
    finally:
        project.kindplane("-c", str(project.config_path), "down", "--force", check=False, **env)
        remove_container(mirror)
        remove_volume(f"{mirror}-data")
        upstream.remove()
        StandinCluster(project.cluster).delete()
        docker("network", "rm", network, check=False)


def test_an_unset_credentials_variable_stops_up_naming_the_key_and_creates_nothing(new_project):
    project = new_project()
    mirror = unique_name("kpe-mirror")
    project.write_config(mirror_config(project.cluster, "https://registry-1.docker.io", mirror))
    up = project.kindplane("-c", str(project.config_path), "up", check=False, KPE_MIRROR_USER="robot")
    assert up.returncode == 2  # a config problem, found before Pulumi starts
    assert up.stderr == (
        f"error: {project.config_path}: cluster.mirrors[0].passwordEnv: environment variable "
        "KPE_MIRROR_TOKEN is not set (or empty); export it before `kindplane up`\n"
    )
    assert container_id(mirror) is None and not volume_exists(f"{mirror}-data")
    assert StandinCluster(project.cluster).nodes() == []


def test_a_non_persistent_mirror_beside_the_registry_goes_with_down(new_project, app_image):
    """Registry and mirror side by side: each gets its own hosts.toml, and down removes the
    non-persistent mirror (container and its anonymous cache) while nodes keep no stale file."""
    project = new_project(workers=0)
    mirror = unique_name("kpe-mirror")
    upstream = start_upstream(unique_name("kpe-up"))
    registry_part = project.config_path.read_text()  # the factory's cluster + registry
    try:
        upstream.push(app_image, "library/kpe-hello:v1")
        project.write_config(
            registry_part
            + f"  mirrors:\n    - {{remote: '{upstream.url}', host: docker.io, name: {mirror}, persistent: false}}\n"
        )
        project.kindplane("-c", str(project.config_path), "up")
        cluster = StandinCluster(project.cluster)
        (node,) = cluster.containerd_nodes()
        assert cluster.ctr_fetch(node, IMAGE).returncode == 0
        assert len(mirror_blobs(mirror)) == 3
        listed = cluster.exec(node, ["sh", "-c", "ls /etc/containerd/certs.d"]).stdout.split()
        assert sorted(listed) == sorted(["docker.io", f"localhost:{project.port}", f"{project.registry}:5000"])
        project.pulumi("preview", "--expect-no-changes")
        # Scripts see the mirror too: `ls` lists the host it serves, `status` checks it.
        listed = json.loads(project.kindplane("ls", "-o", "json", "-c", str(project.config_path)).stdout)
        assert [row["mirrors"] for row in listed] == [["docker.io"]]
        checks = json.loads(
            project.kindplane("status", "-o", "json", "-c", str(project.config_path), check=False).stdout
        )
        assert any(mirror in c["name"] and c["status"] == "ok" for c in checks["checks"]), checks

        down = project.kindplane("-c", str(project.config_path), "down", "--force")
        assert f"Registry {project.registry} and its images were deleted." in down.stdout
        assert container_id(mirror) is None
        assert not volume_exists(f"{mirror}-data")
        assert project.managed_resources() == []
    finally:
        remove_container(mirror)
        upstream.remove()
