"""The keeper against a real Docker: what it finds, and its actions (start, move data, remove
before create) on real registry containers with pushed images. The engine tests run the same
code through `pulumi up` / `kindplane up`."""

from __future__ import annotations

import pytest
from harness.docker_env import docker
from harness.names import free_port, unique_name
from harness.program_commands import config_text, program_commands
from harness.registry import (
    create_volume,
    destroy_registry,
    docker_run_argv,
    inspect,
    registry_get,
    remove_container,
    remove_volume,
    run_registry,
    wait_for_registry,
)
from support.pulumi_mocks import MOCK_OWNER

from kindplane.core.config import parse_config
from kindplane.ops.docker_lookup import AdoptionError, docker_client
from kindplane.ops.keeper import carry_out, look, remove_before_create, wanted_registry
from kindplane.ops.kept_container import Action


def _wanted(name: str, port: int, persistent: bool = True, owner: str = MOCK_OWNER):
    spec = parse_config(config_text(unique_name("kpt"), 1, 0, name, port, persistent)).cluster.registry
    return wanted_registry(spec, owner)


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


@pytest.mark.parametrize("persistent", [True, False])
def test_the_data_is_in_the_named_volume_persistent_or_not(registry_factory, persistent):
    started = registry_factory(persistent=persistent)
    mounts = inspect(started.name)["Mounts"]
    assert [(m["Type"], m["Name"], m["Destination"]) for m in mounts] == [
        ("volume", f"{started.name}-data", "/var/lib/registry")
    ]
    labels = docker("volume", "inspect", "-f", "{{json .Labels}}", f"{started.name}-data").stdout
    assert '"dev.kindplane.managed-by":"kindplane"' in labels and "persistent" not in labels
    assert started.commands.registry_volume_retained is persistent
    assert started.commands.registry_container_retained is persistent


def test_this_stacks_kept_registry_is_kept_and_may_be_removed_before_its_successor(registry_factory, app_image):
    started = registry_factory(persistent=True)
    started.push(app_image, "kept/app:v1")
    destroy_registry(started.commands)
    wanted = _wanted(started.name, started.port)
    decision = look(docker_client(), wanted)
    assert (decision.action, decision.container_id) == (Action.KEEP, inspect(started.name)["Id"])

    remove_before_create(wanted, decision.container_id)()  # what the engine runs right before its create
    assert inspect(started.name) is None
    assert inspect_volume_exists(f"{started.name}-data")  # never the volume
    remove_before_create(wanted, decision.container_id)()  # nothing left to remove: a no-op
    run_registry(started.commands.registry_container)
    assert registry_get(started.port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]


def test_removal_refuses_a_container_that_took_the_name_since_up_looked(registry_factory):
    started = registry_factory(persistent=True)
    wanted = _wanted(started.name, started.port)
    with pytest.raises(AdoptionError, match=f"the name '{started.name}' is now held by container"):
        remove_before_create(wanted, "f" * 64)()
    assert inspect(started.name)["State"]["Running"] is True


def test_a_stopped_kept_registry_is_started(registry_factory):
    started = registry_factory(persistent=True)
    docker("stop", started.name)
    client = docker_client()
    wanted = _wanted(started.name, started.port)
    decision = look(client, wanted)
    assert decision.action is Action.START
    carry_out(client, wanted, decision)
    wait_for_registry(started.port)
    assert look(client, wanted).action is Action.KEEP


def test_data_outside_the_volume_is_moved_into_it_before_the_container_is_replaced(registry_factory, app_image):
    """A registry an older kindplane made without `persistent`: its images are in an anonymous volume."""
    name, port = unique_name("kpt-reg"), free_port()
    inputs = dict(program_commands(config_text(unique_name("kpt"), 1, 0, name, port, False)).registry_container)
    inputs["volumes"] = []  # as it was: the image's VOLUME gives it an anonymous one
    registry_factory.containers.append(name)
    registry_factory.volumes.append(f"{name}-data")
    docker(*docker_run_argv(inputs)[1:])
    wait_for_registry(port)
    from harness.fixtures import push_to

    push_to(f"localhost:{port}", app_image, "old/app:v1")
    client = docker_client()
    wanted = _wanted(name, port, persistent=False)
    decision = look(client, wanted)
    assert decision.action is Action.MOVE_DATA and decision.data.kind == "anonymous"
    carry_out(client, wanted, decision)
    assert docker("ps", "-a", "-q", "--filter", f"name={name}-kindplane-move").stdout.strip() == ""  # no helper left

    remove_before_create(wanted, decision.container_id)()
    inputs["volumes"] = [{"volumeName": f"{name}-data", "containerPath": "/var/lib/registry"}]
    run_registry(inputs)
    assert registry_get(port, "/v2/old/app/tags/list")[1]["tags"] == ["v1"]
    assert look(client, wanted).action is Action.KEEP  # its data is where it belongs now


def test_a_foreign_container_of_the_same_name_is_refused_saying_where_its_data_is(registry_image):
    name = unique_name("kpt-reg")
    try:
        docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{free_port()}:5000", registry_image)
        decision = look(docker_client(), _wanted(name, free_port()))
        assert decision.action is Action.REFUSE and decision.container_id is None
        assert "not created by kindplane" in decision.refusal
        volume = next(m["Name"] for m in inspect(name)["Mounts"])
        assert f"its data is in anonymous volume {volume[:12]}, which kindplane leaves alone" in decision.refusal
    finally:
        remove_container(name)


def test_another_stacks_kept_registry_is_refused_and_left_running(registry_factory):
    started = registry_factory(persistent=True)  # labelled as the mocks' stack
    destroy_registry(started.commands)
    decision = look(docker_client(), _wanted(started.name, started.port, owner="kindplane/e2e"))
    assert decision.refusal.startswith(
        f"the registry container '{started.name}' belongs to kindplane stack '{MOCK_OWNER}', "
        "not to this stack 'kindplane/e2e'"
    )
    remove_container(started.name)
    decision = look(docker_client(), _wanted(started.name, started.port, owner="kindplane/e2e"))
    assert decision.refusal.startswith(
        f"the registry volume '{started.name}-data' belongs to kindplane stack '{MOCK_OWNER}'"
    )


def test_nothing_of_that_name_means_create():
    name = unique_name("kpt-reg")
    try:
        assert look(docker_client(), _wanted(name, free_port())).action is Action.CREATE
    finally:
        remove_volume(f"{name}-data")


def inspect_volume_exists(name: str) -> bool:
    return docker("volume", "inspect", name, check=False).returncode == 0


def test_after_a_create_up_waits_until_the_registry_answers(registry_factory):
    from kindplane.ops.keeper import wait_until_serving

    started = registry_factory(persistent=False)
    wanted = _wanted(started.name, started.port, persistent=False)
    docker("restart", "-t", "0", started.name)  # starting again: not listening for a moment
    wait_until_serving(wanted)()
    assert registry_get(started.port, "/v2/")[0] == 200  # right away, no retry

    docker("pause", started.name)  # running, but answering nobody
    try:
        with pytest.raises(
            AdoptionError, match=f"the registry container '{started.name}' does not answer GET /v2/ 1 s"
        ):
            wait_until_serving(wanted, timeout=1.0)()
    finally:
        docker("unpause", started.name)


def test_a_mirror_that_cannot_start_fails_up_at_once_with_the_registrys_own_words(registry_image):
    """registry:2 refuses to start a proxy with credentials whose upstream it cannot reach."""
    from kindplane.ops.keeper import wait_until_serving, wanted_mirror

    name = unique_name("kpt-mirror")
    mirror = parse_config(
        f"cluster: {{name: d, mirrors: [{{remote: 'http://{name}-gone:5000', name: {name}}}]}}"
    ).cluster.mirrors[0]
    try:
        # Nothing listens on port 1: the upstream refuses at once.
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--restart",
            "always",
            "-e",
            "REGISTRY_PROXY_REMOTEURL=http://127.0.0.1:1",
            "-e",
            "REGISTRY_PROXY_USERNAME=robot",
            "-e",
            "REGISTRY_PROXY_PASSWORD=t",
            registry_image,
        )
        with pytest.raises(AdoptionError) as caught:
            wait_until_serving(wanted_mirror(mirror, 0, MOCK_OWNER), timeout=20.0)()
        message = str(caught.value)
        assert message.startswith(f"the mirror container '{name}' exited with code ")
        assert "127.0.0.1:1" in message and message.endswith(f"see `docker logs {name}`")
    finally:
        remove_container(name)
