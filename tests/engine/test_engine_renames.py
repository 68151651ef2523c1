"""Renaming the registry or a mirror in kindplane.yaml, under the real engine, through both doors:
the data moves to the new name, every node pulls what was pushed before through hosts.toml, no
container is left running outside every state, no volume nobody will reclaim, and `pulumi preview`
shows no change after the `up` (docs/persistence.md, the rename columns)."""

from __future__ import annotations

import time

import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.engine import container_id, volume_exists
from harness.fixtures import push_to
from harness.mirrors import mirror_blobs, start_upstream
from harness.names import free_port, unique_name
from harness.persistence import KINDPLANE, PULUMI, RegistrySettings, Walk

from kindplane.core.render.pull_through import MIRROR_MODE_FILE, MIRROR_PROBE_SECONDS

UPSTREAM_IMAGE = "docker.io/library/kpe-rename:v1"


def leftovers(*names: str) -> list[str]:
    """Containers and volumes of these names that still exist."""
    found = [n for n in names if container_id(n)]
    return found + [f"{n}-data" for n in names if volume_exists(f"{n}-data")]


@pytest.fixture
def walk(new_project):
    made = []

    def start(persistent: bool, **settings) -> Walk:
        project = new_project(persistent=persistent, workers=1)
        made.append(
            Walk(project, RegistrySettings(project.cluster, project.registry, project.port, persistent, **settings))
        )
        return made[-1]

    yield start


def test_a_persistent_registry_renamed_then_renamed_to_a_new_port_keeps_every_image_and_leaves_nothing(walk, app_image):
    # The sequences 6 and 7, exactly: a persistent registry with an image, renamed (same
    # port), then renamed again to a new port; then persistent off, up and down.
    walk = walk(persistent=True)
    first = walk.settings.name
    walk.up()
    walk.push(app_image)

    second = unique_name("kpe-reg")
    walk.edit(name=second)
    up = walk.up()
    assert (
        f"registry {first} is renamed {second}: its images move to volume {second}-data, nothing is lost" in up.stdout
    )
    walk.assert_converged()  # every image, on every node, through the new name's hosts.toml
    assert leftovers(first) == []

    walk.push(app_image)
    third, port = unique_name("kpe-reg"), free_port()
    walk.edit(name=third, port=port)
    walk.up()
    walk.assert_converged()
    assert leftovers(first, second) == []

    walk.edit(persistent=False)
    walk.up()
    walk.down()
    assert leftovers(first, second, third) == []


@pytest.mark.parametrize("persistent", [False, True])
def test_a_registry_renamed_through_pulumi_up_keeps_its_images(walk, app_image, persistent):
    walk = walk(persistent=persistent)
    first = walk.settings.name
    walk.up(PULUMI)
    walk.push(app_image)
    walk.edit(name=unique_name("kpe-reg"))
    walk.up(PULUMI)
    walk.assert_converged()
    assert leftovers(first) == []


@pytest.mark.parametrize("door, persistent", [(KINDPLANE, False), (PULUMI, True)])
def test_a_mirror_renamed_keeps_every_node_pulling_through_it_and_its_cache(new_project, app_image, door, persistent):
    # The sequence 8: the nodes lost hosts.toml of docker.io (the old name's delete ran last).
    project = new_project(workers=1)
    upstream = start_upstream(unique_name("kpe-up"))
    try:
        upstream.push(app_image, "library/kpe-rename:v1")
        first = unique_name("kpe-mirror")

        def configure(mirror: str) -> None:
            project.write_config(
                f"cluster:\n  name: {project.cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n  mirrors:\n"
                f"    - {{remote: '{upstream.url}', host: docker.io, name: {mirror}, persistent: {str(persistent).lower()}}}\n"
            )

        def up():
            if door == KINDPLANE:
                return project.kindplane("-c", str(project.config_path), "up")
            return project.up()

        configure(first)
        if door == PULUMI:
            project.init_stack()
        up()
        cluster = StandinCluster(project.cluster)
        for node in cluster.containerd_nodes():
            assert cluster.ctr_fetch(node, UPSTREAM_IMAGE).returncode == 0
        cached = mirror_blobs(first)

        second = unique_name("kpe-mirror")
        configure(second)
        up()
        for node in cluster.containerd_nodes():
            hosts = cluster.read_file(node, "/etc/containerd/certs.d/docker.io/hosts.toml").decode()
            assert f'[host."http://{second}:5000"]' in hosts
        assert mirror_blobs(second) >= cached  # the cache moved with the name
        upstream.stop()  # only the renamed mirror's cache can serve it now, once it has noticed
        deadline = time.monotonic() + 3 * MIRROR_PROBE_SECONDS
        while docker("exec", second, "cat", MIRROR_MODE_FILE).stdout.strip() != "cache":
            assert time.monotonic() < deadline, "the mirror did not notice the upstream is gone"
            time.sleep(0.5)
        for node in cluster.containerd_nodes():
            docker("exec", node, "sh", "-c", "ctr content ls -q | xargs -r ctr content rm")
            fetched = cluster.ctr_fetch(node, UPSTREAM_IMAGE)
            assert fetched.returncode == 0, f"{node}: {fetched.stderr}"
        assert leftovers(first) == []
        project.pulumi("preview", "--expect-no-changes")
    finally:
        upstream.remove()


def test_pushing_to_the_renamed_registry_works_at_its_address(walk, app_image):
    walk = walk(persistent=False)
    walk.up()
    walk.edit(name=unique_name("kpe-reg"))
    walk.up()
    ref = push_to(f"localhost:{walk.settings.port}", app_image, "after/rename:v1")
    cluster = StandinCluster(walk.settings.cluster)
    for node in cluster.containerd_nodes():
        assert cluster.ctr_fetch(node, ref).returncode == 0
