"""The Docker side of every container kindplane keeps: look, then act on `kept_container.decide`.

`look` costs one `docker inspect` of the container on the usual path (the volume is inspected only
when the container is missing or keeps its data elsewhere). The actions — start a stopped
container, move data into the named volume, remove a container right before Pulumi creates its
successor — run only outside preview, and never remove a volume.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Optional

from ..core.naming import (
    LABEL_MANAGED_BY,
    REGISTRY_DATA_PATH,
    mirror_labels,
    mirror_volume_name,
    registry_labels,
    registry_volume_name,
)
from .docker_errors import docker_failures, explain
from .docker_lookup import AdoptionError, answers_inside, docker_client, inspect_container, inspect_volume
from .kept_container import (
    Action,
    DataMount,
    Decision,
    InState,
    Wanted,
    decide,
    seen_container,
    seen_volume,
)

if TYPE_CHECKING:
    from docker import DockerClient

    from ..core.config import ClusterConfig, MirrorConfig, RegistryConfig

StateLookup = Callable[[str], InState]  # container name → does the stack's state hold it


def unknown_state(_name: str) -> InState:
    return InState.UNKNOWN


def wanted_registry(registry: RegistryConfig, owner: str) -> Wanted:
    return Wanted(
        "registry",
        registry.name,
        registry_volume_name(registry),
        owner,
        "cluster.registry.name",
        registry_labels(registry, owner),
        "cluster.registry.port",
        port=registry.port,
    )


def wanted_mirror(mirror: MirrorConfig, index: int, owner: str) -> Wanted:
    return Wanted(
        "mirror",
        mirror.name,
        mirror_volume_name(mirror),
        owner,
        f"cluster.mirrors[{index}].name",
        mirror_labels(mirror, owner),
        f"cluster.mirrors[{index}].hostPort",
        upstream=mirror.remote,
    )


def wanted_containers(cluster: ClusterConfig, owner: str) -> list[Wanted]:
    """The containers this config keeps: its own registry (not an external one) and every mirror."""
    registry = cluster.registry
    own = [wanted_registry(registry, owner)] if registry.enabled and not registry.external else []
    return own + [wanted_mirror(mirror, i, owner) for i, mirror in enumerate(cluster.mirrors)]


def look(client: DockerClient, wanted: Wanted, in_state: StateLookup = unknown_state) -> Decision:
    attrs = inspect_container(client, wanted.name)
    container = seen_container(attrs) if attrs is not None else None
    volume = None
    if container is None or container.data != DataMount("volume", wanted.volume):
        found = inspect_volume(client, wanted.volume)
        volume = seen_volume(found) if found is not None else None
    state = in_state(wanted.name) if container is None else InState.UNKNOWN
    return decide(wanted, container, volume, state)


def decide_all(client: DockerClient, wanted: list[Wanted], in_state: StateLookup = unknown_state) -> list[Decision]:
    """Every container's decision; AdoptionError with every refusal before anything is changed."""
    decisions = [look(client, each, in_state) for each in wanted]
    refused = [d.refusal for d in decisions if d.refusal]
    if refused:
        raise AdoptionError("\n".join(refused))
    return decisions


def carry_out(client: DockerClient, wanted: Wanted, decision: Decision) -> None:
    """What happens before Pulumi runs (never in a preview): start a stopped container, move data.
    Docker's failures come back as one AdoptionError line with the fix."""
    try:
        if decision.action is Action.START:
            assert decision.container_id is not None  # only a container that exists is started
            client.api.start(decision.container_id)
        elif decision.action is Action.MOVE_DATA:
            assert decision.container_id is not None  # data is moved out of a container that exists
            move_data(client, wanted, decision.container_id)
    except docker_failures() as exc:
        doing = "is stopped and cannot start" if decision.action is Action.START else "cannot be moved to its volume"
        raise AdoptionError(
            explain(exc, f"the {wanted.role} container {wanted.name} {doing}", wanted.port_key)
        ) from None


def move_data(client: DockerClient, wanted: Wanted, container_id: str) -> None:
    """Copies what the container has at its data path into the named volume (merged into what a
    kept volume already holds: a registry's blobs are content-addressed, its tags are the
    container's). The copy goes through Docker's archive API, so it needs no tool in the image."""
    if inspect_volume(client, wanted.volume) is None:
        client.api.create_volume(wanted.volume, labels=dict(wanted.labels))
    helper_name = f"{wanted.name}-kindplane-move"
    _remove_helper(client, helper_name)  # left over by an interrupted earlier move
    image = client.api.inspect_container(container_id)["Image"]  # present: the container runs it
    helper = client.api.create_container(
        image,
        name=helper_name,
        labels={LABEL_MANAGED_BY: "kindplane"},
        host_config=client.api.create_host_config(binds={wanted.volume: {"bind": REGISTRY_DATA_PATH, "mode": "rw"}}),
    )
    try:
        stream, _ = client.api.get_archive(container_id, REGISTRY_DATA_PATH)
        parent = REGISTRY_DATA_PATH.rsplit("/", 1)[0]
        if not client.api.put_archive(helper["Id"], parent, stream):
            raise AdoptionError(f"could not copy the data of {wanted.name!r} into volume {wanted.volume!r}")
    finally:
        _remove_helper(client, helper_name)


def copy_volume(client: DockerClient, source: str, wanted: Wanted, image: str) -> None:
    """Copies a data volume's content into the wanted container's volume (a renamed registry or
    mirror), through a stopped helper that mounts the source: move_data reads it from there."""
    helper_name = f"{wanted.name}-kindplane-read"
    _remove_helper(client, helper_name)
    helper = client.api.create_container(
        image,
        name=helper_name,
        labels={LABEL_MANAGED_BY: "kindplane"},
        host_config=client.api.create_host_config(binds={source: {"bind": REGISTRY_DATA_PATH, "mode": "ro"}}),
    )
    try:
        move_data(client, wanted, helper["Id"])
    finally:
        _remove_helper(client, helper_name)


def _remove_helper(client: DockerClient, name: str) -> None:
    import docker

    try:
        client.api.remove_container(name, force=True)
    except docker.errors.NotFound:
        pass


def remove_before_create(
    wanted: Wanted, container_id: str, client_factory: Callable[[], DockerClient] = docker_client
) -> Callable[[object], None]:
    """The step that lets Pulumi create a container of a name a container of ours still holds:
    removes exactly the container `decide` cleared (not its volume) if it is still there."""

    def remove(_args: object = None) -> None:
        client = client_factory()
        attrs = inspect_container(client, wanted.name)
        if attrs is None:
            return  # Pulumi deleted it itself (a replacement of a container it does not retain)
        if attrs["Id"] != container_id:
            raise AdoptionError(
                f"the name {wanted.name!r} is now held by container {attrs['Id'][:12]}, not by the "
                f"{wanted.role} container {container_id[:12]} up looked at; run up again"
            )
        client.api.remove_container(container_id, force=True)  # v=False: the data volume stays

    return remove


def wait_until_serving(
    wanted: Wanted, client_factory: Callable[[], DockerClient] = docker_client, timeout: float = 30.0
) -> Callable[[object], None]:
    """The step after Pulumi created the container: `up` ends only once it answers GET /v2/, so a
    push or a node's pull right after `up` never meets a registry that is still starting. A
    container that exits instead (registry:2 refuses to start a proxy with credentials whose
    upstream it cannot reach) fails `up`, with the registry's own last words."""

    def wait(_args: object = None) -> None:
        client = client_factory()
        deadline = time.monotonic() + timeout
        while True:
            answer = _answer(client, wanted.name)
            if answer is not False:  # answers, or cannot be asked (no wget in the image)
                return
            state = client.api.inspect_container(wanted.name).get("State") or {}
            if state.get("Restarting") or state.get("Status") in ("exited", "dead"):
                _fail(client, wanted, f"exited with code {state.get('ExitCode')}")
            if time.monotonic() > deadline:
                _fail(client, wanted, f"does not answer GET /v2/ {timeout:.0f} s after it was created")
            time.sleep(0.2)

    return wait


def _answer(client: DockerClient, name: str) -> Optional[bool]:
    import docker

    try:
        container = client.containers.get(name)
    except docker.errors.APIError:  # removed meanwhile: the state check that follows says so
        return False
    return answers_inside(container)


def _fail(client: DockerClient, wanted: Wanted, what: str) -> None:
    raise AdoptionError(
        f"the {wanted.role} container {wanted.name!r} {what}{_last_words(client, wanted.name)}; "
        f"see `docker logs {wanted.name}`"
    )


# A registry:2 that cannot reach its upstream panics with a ~15-line stack trace, and a mirror's
# supervisor (render/pull_through.py) starts it again every probe: the reason is often more than
# 20 lines back, behind the next start's first lines.
LOG_LINES_READ = 200


def _last_words(client: DockerClient, name: str) -> str:
    """The newest panic or fatal line among the container's last lines, else its last line."""
    logs = client.api.logs(name, tail=LOG_LINES_READ).decode("utf-8", "replace")
    lines = [line for line in logs.splitlines() if line.strip()]
    causes = [line for line in lines if "panic:" in line or "level=fatal" in line]
    reason = causes[-1] if causes else (lines[-1] if lines else "")
    return f": {reason.strip()[:300]}" if reason else ""
