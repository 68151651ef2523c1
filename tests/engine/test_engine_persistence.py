"""docs/persistence.md's transition table for the local registry, walked under the real engine.

Each walk starts from one row (a starting state) and applies the edits of the columns in
sequence. Before every edit one more image is pushed; after it, every image pushed so far must be
listed by the registry and fetched by every node, and `pulumi preview` must show no change. The
toggles run through both doors (`kindplane up`, and `pulumi up -s <stack>`). The issue's three
sequences are tests of their own, exactly as written.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from harness.docker_env import docker, in_ci
from harness.engine import REPO
from harness.fixtures import push_to
from harness.names import free_port, unique_name
from harness.persistence import KINDPLANE, LEDGER, PULUMI, RegistrySettings, Walk, assert_plain_words
from harness.registry import inspect, port_bindings, wait_for_registry

# The last kindplane whose registry kept its images in an anonymous volume unless persistent, and
# read (Container.get) a kept one: an upgrade from it must keep every image.
PREVIOUS_KINDPLANE = "5ead826"


@pytest.fixture(scope="session", autouse=True)
def ledger():
    """The closing note's figures (shown with `pytest -s`): images pushed, checked, lost."""
    yield LEDGER
    print(
        f"\npersistence table: {LEDGER.pushed} images pushed, {LEDGER.checks} image checks "
        f"(listed + fetched on every node), {LEDGER.lost} lost"
    )


@pytest.fixture
def walks(new_project):
    made: list[Walk] = []

    def start(persistent: bool = False, workers: int = 1, **settings) -> Walk:
        project = new_project(persistent=persistent, workers=workers)
        walk = Walk(
            project,
            RegistrySettings(project.cluster, project.registry, project.port, persistent, workers=workers, **settings),
        )
        made.append(walk)
        return walk

    try:
        yield start
    finally:
        for walk in made:
            walk.cleanup()


@pytest.fixture
def unpulled_registry_image(registry_image):
    """Another registry image (its own ID) that Docker has not pulled yet, served by a registry of
    its own on the host: the first `up` after the edit must pull it and use it."""
    source, port = unique_name("kpe-imgsrc"), free_port()
    docker("run", "-d", "--name", source, "--publish", f"127.0.0.1:{port}:5000", "registry:2")
    built = f"kpe-built/{source}:v1"
    try:
        wait_for_registry(port)
        subprocess.run(
            ["docker", "build", "-q", "-t", built, "-"],
            input=f"FROM registry:2\nLABEL kpe.build={source}\n",
            text=True,
            capture_output=True,
            check=True,
        )
        ref = push_to(f"localhost:{port}", built, f"lib/registry:{source}")
        docker("rmi", built)
        assert docker("image", "inspect", ref, check=False).returncode != 0  # not local: up must pull it
        yield ref
    finally:
        docker("rmi", f"localhost:{port}/lib/registry:{source}", check=False)
        docker("rmi", built, check=False)
        docker("rm", "-f", "-v", source, check=False)


def retained(walk: Walk) -> bool:
    """What the state says `down` will do to the registry container (retainOnDelete)."""
    container = next(r for r in walk.project.resources() if r["type"] == "docker:index/container:Container")
    return bool(container.get("retainOnDelete"))


# Through `kindplane up` the toggles end persistent (row 3 of the table takes the other edits),
# through `pulumi up` they end not persistent (row 2).
TOGGLES = {KINDPLANE: (True, False, True), PULUMI: (True, False)}


@pytest.mark.parametrize("door", [KINDPLANE, PULUMI])
def test_every_edit_of_a_managed_registry_converges_in_one_up(walks, app_image, unpulled_registry_image, door):
    walk = walks(persistent=False, workers=1 if door == KINDPLANE else 0)
    network = unique_name("kpe-net")
    try:
        walk.up(door)
        walk.push(app_image)
        walk.assert_converged()

        for persistent in TOGGLES[door]:  # toggles change only what down keeps: the same container
            before = walk.container_id()
            walk.push(app_image)
            walk.edit(persistent=persistent)
            walk.up(door)
            assert (walk.container_id(), retained(walk)) == (before, persistent)
            walk.assert_converged()

        for change in (
            {"port": free_port()},
            {"image": unpulled_registry_image},
            {"listen": "0.0.0.0"},
            {"cluster": unique_name("kpe")},
            {"network": network},
        ):
            walk.push(app_image)
            if "network" in change:
                walk.env["KIND_EXPERIMENTAL_DOCKER_NETWORK"] = change.pop("network")
            walk.edit(**change)
            walk.up(door)
            walk.assert_converged()
        pulled = docker("image", "inspect", "-f", "{{.Id}}", unpulled_registry_image).stdout.strip()
        assert pulled != docker("image", "inspect", "-f", "{{.Id}}", "registry:2").stdout.strip()
        assert docker("inspect", "-f", "{{.Image}}", walk.settings.name).stdout.strip() == pulled  # used at once
        networks = json.loads(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", walk.settings.name).stdout)
        assert network in networks
    finally:
        walk.cleanup()
        docker("network", "rm", network, check=False)


def test_every_edit_of_a_kept_registry_converges_in_one_up(walks, app_image, registry_image):
    """Kept after `down` (persistent): each edit is made while it is kept, then one up."""
    walk = walks(persistent=True, workers=0)
    walk.up()
    walk.push(app_image)
    mirror_image = f"mirror.example/{unique_name('kpe-lib')}/registry:2"  # the same image, another name
    docker("tag", "registry:2", mirror_image)
    network = unique_name("kpe-net")
    try:
        # "none" is test_engine_lifecycle's test_persistent_registry_is_kept_on_destroy_and_taken_back_….
        for change in (
            {"port": free_port()},
            {"image": mirror_image},
            {"listen": "0.0.0.0"},
            {"cluster": unique_name("kpe")},
            {"network": network},
            {"persistent": False},
        ):
            down = walk.down()
            assert f"Local registry preserved (persistent mode): container {walk.settings.name}" in down.stdout
            walk.push(app_image)  # the kept registry still serves pushes
            if "network" in change:
                walk.env["KIND_EXPERIMENTAL_DOCKER_NETWORK"] = change.pop("network")
            walk.edit(**change)
            walk.up()
            walk.assert_converged()
            if "image" in change:  # the container is built from the image the config names
                assert inspect(walk.settings.name)["Image"] == inspect(mirror_image)["Id"]
            if "listen" in change:  # and published where it says, on all addresses here
                assert port_bindings(walk.settings.name) == {
                    "5000/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(walk.settings.port)}]
                }
        networks = json.loads(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", walk.settings.name).stdout)
        assert network in networks
        down = walk.down()  # now not persistent: the state deletes it with its images, as asked
        assert f"Registry {walk.settings.name} and its images were deleted." in down.stdout
        assert walk.container_id() is None
        assert docker("volume", "inspect", f"{walk.settings.name}-data", check=False).returncode != 0
    finally:
        docker("rmi", mirror_image, check=False)
        walk.cleanup()
        docker("network", "rm", network, check=False)


def test_toggles_of_a_kept_registry_through_pulumi(walks, app_image):
    walk = walks(persistent=True, workers=0)
    walk.up(PULUMI)
    walk.push(app_image)
    kept = walk.container_id()
    walk.project.destroy()
    assert walk.container_id() == kept and walk.project.managed_resources() == []
    walk.push(app_image)
    walk.edit(persistent=False)
    walk.up(PULUMI)
    # Taken back: a new container on the kept volume (the provider cannot import one).
    assert walk.container_id() != kept and not retained(walk)
    walk.assert_converged()
    walk.push(app_image)
    walk.edit(persistent=True)
    walk.up(PULUMI)
    again = walk.container_id()
    walk.project.destroy()
    assert walk.container_id() == again  # kept again
    walk.up(PULUMI)  # row 4, no edit: taken back
    walk.assert_converged()


# --- the three sequences, exactly as written ---------------------------------------------


def test_turning_persistence_on_keeps_the_images(walks, app_image):
    walk = walks(persistent=False, workers=0)
    walk.up()
    walk.push(app_image)
    walk.edit(persistent=True)
    up = walk.up()
    assert "docker rm -f" not in up.stdout + up.stderr  # no advice: nothing for the user to do
    walk.assert_converged()


def test_turning_persistence_off_after_a_down_up_cycle_converges(walks, app_image):
    walk = walks(persistent=True, workers=0)
    walk.up()
    walk.push(app_image)
    walk.down()
    walk.up()
    walk.edit(persistent=False)
    walk.up()
    walk.assert_converged()
    walk.up()  # and on every later run
    walk.assert_converged()


def test_a_kept_registry_stopped_by_hand_is_started_by_up(walks, app_image):
    walk = walks(persistent=True, workers=0)
    walk.up()
    walk.push(app_image)
    walk.down()
    walk.up()
    docker("stop", walk.settings.name)
    walk.up()
    assert docker("inspect", "-f", "{{.State.Running}}", walk.settings.name).stdout.strip() == "true"
    walk.push(app_image)  # the next docker push works
    walk.assert_converged()


# --- removed or stopped by hand, through the Pulumi door -------------------------------------------


def test_removed_by_hand_pulumi_up_says_refresh_first_and_converges_after_it(walks, app_image):
    walk = walks(persistent=True, workers=0)
    walk.up(PULUMI)
    walk.push(app_image)
    docker("rm", "-f", walk.settings.name)
    refused = walk.up(PULUMI, check=False)
    assert refused.returncode != 0
    assert (
        f"the registry container '{walk.settings.name}' is in stack 'e2e''s state but not in Docker "
        f"(removed by hand?); its data is still in volume '{walk.settings.name}-data'"
    ) in refused.stdout + refused.stderr
    assert "run `pulumi refresh -s e2e --yes` and then up again" in refused.stdout + refused.stderr
    walk.project.pulumi("refresh", "--yes", "--skip-preview")
    walk.up(PULUMI)
    walk.assert_converged()


def test_stopped_by_hand_pulumi_up_without_refresh_starts_it(walks, app_image):
    walk = walks(persistent=False, workers=0)
    walk.up(PULUMI)
    walk.push(app_image)
    docker("stop", walk.settings.name)
    walk.up(PULUMI)
    walk.assert_converged()


# --- an upgrade from the previous kindplane --------------------------------------------------------


@pytest.fixture(scope="module")
def previous_kindplane(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("previous-kindplane")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", PREVIOUS_KINDPLANE, "kindplane"], capture_output=True)
    if archive.returncode != 0:
        message = f"commit {PREVIOUS_KINDPLANE} is not in this checkout: {archive.stderr.decode().strip()}"
        pytest.fail(message) if in_ci() else pytest.skip(message)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


@pytest.mark.parametrize("persistent", [False, True])
def test_an_upgrade_keeps_every_image(walks, app_image, previous_kindplane, persistent):
    """Non-persistent: the images were in an anonymous volume; kindplane moves them itself.
    Persistent, kept and read by the previous up: the next up takes it back under management."""
    walk = walks(persistent=persistent, workers=0)
    old = {"PYTHONPATH": str(previous_kindplane)}
    walk.project.kindplane("-c", str(walk.project.config_path), "up", **old)
    walk.push(app_image)
    if persistent:
        walk.project.kindplane("-c", str(walk.project.config_path), "down", "--force", **old)
        walk.project.kindplane("-c", str(walk.project.config_path), "up", **old)  # read, not managed
    walk.push(app_image)
    walk.up()
    walk.assert_converged()
    mounts = json.loads(docker("inspect", "-f", "{{json .Mounts}}", walk.settings.name).stdout)
    assert [m["Name"] for m in mounts] == [f"{walk.settings.name}-data"]
    walk.edit(persistent=not persistent)  # and it is fully managed now: a toggle converges
    walk.up()
    walk.assert_converged()


def test_pulumis_own_words_never_reach_the_user_when_kindplane_refuses(walks):
    walk = walks(persistent=True, workers=0)
    docker("volume", "create", f"{walk.settings.name}-data")  # someone else's volume of that name
    refused = walk.up(check=False)
    assert refused.returncode == 1
    assert_plain_words(refused)
    assert f"a volume named '{walk.settings.name}-data' exists but was not created by kindplane" in refused.stderr
    assert walk.container_id() is None
