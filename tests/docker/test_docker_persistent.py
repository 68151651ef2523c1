"""Persistent mode on a real engine: kept images, adoption look-up, clear errors."""
from __future__ import annotations

import pytest

from harness.docker_env import docker
from harness.names import free_port, unique_name
from harness.program_commands import config_text, program_commands
from harness.registry import create_volume, destroy_registry, inspect, registry_get, remove_container, run_registry
from kindplane.core.config import parse_config
from kindplane.ops.docker_lookup import AdoptionError, adoption_id, find_kept_registry
from support.pulumi_mocks import MOCK_OWNER


def _spec(name: str, port: int, persistent: bool = True):
    return parse_config(config_text(unique_name("kpt"), 1, 0, name, port, persistent)).cluster.registry


def test_images_survive_down_and_a_new_container_on_the_kept_volume(registry_factory, app_image):
    started = registry_factory(persistent=True)
    started.push(app_image, "my-app:latest")
    destroy_registry(started.commands)  # retained: still there after "down"
    assert inspect(started.name)["State"]["Running"] is True
    # The user removes the container; the next up creates it again on the kept volume.
    remove_container(started.name)
    assert inspect(started.name) is None
    create_volume(started.commands.registry_volume)
    run_registry(started.commands.registry_container)
    assert registry_get(started.port, "/v2/my-app/tags/list")[1] == {"name": "my-app", "tags": ["latest"]}


def test_adoption_finds_the_kept_registry_by_name_and_labels(registry_factory):
    started = registry_factory(persistent=True)
    destroy_registry(started.commands)
    spec = _spec(started.name, started.port)
    kept = find_kept_registry(spec, MOCK_OWNER)
    assert kept is not None
    assert kept.container_id == inspect(started.name)["Id"]
    assert kept.mismatches == ()
    assert adoption_id(spec, MOCK_OWNER) == kept.container_id


def test_nothing_to_adopt_when_no_container_has_the_name():
    spec = _spec(unique_name("kpt-reg"), free_port())
    assert find_kept_registry(spec, MOCK_OWNER) is None
    assert adoption_id(spec, MOCK_OWNER) is None


def test_a_foreign_container_of_the_same_name_is_never_adopted(registry_image):
    name = unique_name("kpt-reg")
    try:
        docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{free_port()}:5000", registry_image)
        spec = _spec(name, free_port())
        with pytest.raises(AdoptionError) as error:
            adoption_id(spec, MOCK_OWNER)
        message = str(error.value)
        assert "not created by kindplane" in message
        assert f"docker rm -f {name}" in message
    finally:
        remove_container(name)


def test_kept_container_on_another_port_asks_for_docker_rm(registry_factory):
    started = registry_factory(persistent=True)
    destroy_registry(started.commands)
    other_port = free_port()
    spec = _spec(started.name, other_port)
    with pytest.raises(AdoptionError) as error:
        adoption_id(spec, MOCK_OWNER)
    message = str(error.value)
    assert f"docker rm -f {started.name}" in message
    assert f"127.0.0.1:{started.port}" in message and f"127.0.0.1:{other_port}" in message
    assert f"{started.name}-data" in message  # the images stay in the kept volume


def test_the_programs_volume_is_the_one_the_container_mounts(registry_factory):
    started = registry_factory(persistent=True)
    mounts = inspect(started.name)["Mounts"]
    assert [(m["Type"], m["Name"], m["Destination"]) for m in mounts] == [
        ("volume", started.commands.registry_volume["name"], "/var/lib/registry")
    ]
    labels = docker("volume", "inspect", "-f", "{{json .Labels}}", started.commands.registry_volume["name"]).stdout
    assert '"dev.kindplane.managed-by":"kindplane"' in labels


def test_program_marks_only_persistent_registries_retained():
    name = unique_name("kpt-reg")
    assert program_commands(config_text("kpt-a", 1, 0, name, 5999, True)).registry_container_retained
    assert not program_commands(config_text("kpt-a", 1, 0, name, 5999, False)).registry_container_retained


def test_another_stacks_kept_registry_is_refused_and_left_running(registry_factory):
    started = registry_factory(persistent=True)  # labelled as the mocks' stack
    destroy_registry(started.commands)
    spec = _spec(started.name, started.port)
    with pytest.raises(AdoptionError) as error:
        adoption_id(spec, "kindplane/e2e")
    assert str(error.value).startswith(
        f"the registry volume '{started.name}-data' belongs to kindplane stack '{MOCK_OWNER}', "
        "not to this stack 'kindplane/e2e'"
    )
    assert inspect(started.name)["State"]["Running"] is True
