"""A registry or mirror renamed in kindplane.yaml: its data moves to the new name.

The data lives in `<name>-data`, so a new name means a new container on a new volume. Pulumi
replaces the container, but a persistent (retained) one is left running by the replacement, on
its port, outside any state, and a non-persistent one's volume is deleted with its images. So
right before Pulumi creates the renamed container, kindplane copies the old container's data into
the new volume, removes the old container, and removes the old volume unless Pulumi deletes it
itself. The old container is found in this stack's state under its old name, or — kept by an
earlier `down` — by this stack's owner label together with what makes it the same thing (the
registry's port, the mirror's upstream), never by the label alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from ..core.naming import LABEL_MANAGED_BY, LABEL_OWNER, LABEL_ROLE
from .docker_lookup import docker_client, inspect_container, inspect_volume, port_bindings
from .kept_container import Wanted, data_mount

if TYPE_CHECKING:
    from docker import DockerClient

UPSTREAM_ENV = "REGISTRY_PROXY_REMOTEURL"


@dataclass(frozen=True)
class Recorded:
    """What this stack's state holds of its kept containers."""

    containers: frozenset[str] = frozenset()  # container names
    retained: frozenset[str] = frozenset()  # container names recorded as persistent (their volume too)


@dataclass(frozen=True)
class Previous:
    """The same registry or mirror under its old name."""

    name: str
    container_id: str
    image: str  # its image ID: the helper that reads its volume runs it
    volume: Optional[str]  # its data volume, when it has one
    goes_with_pulumi: bool  # in the state, not persistent: Pulumi deletes it and its volume, not kindplane

    def words(self) -> str:
        volume = f" and volume {self.volume}" if self.volume else ""
        return f"container {self.name}{volume}"


def find_previous(client: DockerClient, wanted: Wanted, recorded: Recorded) -> list[Previous]:
    """This stack's containers of the wanted role that are it under another name."""
    labels = [f"{LABEL_MANAGED_BY}=kindplane", f"{LABEL_ROLE}={wanted.role}", f"{LABEL_OWNER}={wanted.owner}"]
    found = []
    for summary in client.api.containers(all=True, filters={"label": labels}):
        name = (summary.get("Names") or ["/"])[0].lstrip("/")
        if name == wanted.name:
            continue
        attrs = inspect_container(client, summary["Id"])
        if attrs is None:
            continue  # removed since the listing (another run of a stack of the same name)
        if name not in recorded.containers and not _same_thing(attrs, wanted):
            continue  # another stack of the same name (another backend), or something else of ours
        mount = data_mount(attrs)
        volume = mount.name if mount.kind == "volume" else None
        goes = name in recorded.containers and name not in recorded.retained
        found.append(Previous(name, attrs["Id"], attrs["Image"], volume, goes))
    return found


def _same_thing(attrs: dict, wanted: Wanted) -> bool:
    """Kept outside the state: the registry on the wanted port, the mirror of the wanted upstream."""
    if wanted.role == "registry":
        return wanted.port is not None and any(str(b.get("HostPort")) == str(wanted.port) for b in port_bindings(attrs))
    env = (attrs.get("Config") or {}).get("Env") or []
    return wanted.upstream is not None and f"{UPSTREAM_ENV}={wanted.upstream}" in env


def take_over(
    wanted: Wanted, previous: list[Previous], client_factory: Callable[[], DockerClient] = docker_client
) -> Callable[[object], None]:
    """The step right before Pulumi creates the renamed container: each old container's data into
    the new volume, then the old container (and the volume Pulumi leaves) removed."""
    from .keeper import copy_volume, move_data

    def move(_args: object = None) -> None:
        import docker

        client = client_factory()
        for old in previous:
            # From the volume when there is one: a non-persistent old container is already gone
            # (Pulumi deletes before it creates), its volume only at the end of the update.
            if old.volume and inspect_volume(client, old.volume) is not None:
                copy_volume(client, old.volume, wanted, old.image)
            elif inspect_container(client, old.container_id) is not None:
                move_data(client, wanted, old.container_id)
            if old.goes_with_pulumi:
                continue  # the update deletes them (a non-persistent one is replaced, deleted first)
            try:
                client.api.remove_container(old.container_id, force=True)  # v=False: the volume below
                if old.volume:
                    client.api.remove_volume(old.volume)
            except docker.errors.NotFound:
                pass

    return move


def what_happens(wanted: Wanted, previous: list[Previous]) -> str:
    """The line `up` and `preview` show before the move."""
    data = "images" if wanted.role == "registry" else "cache"
    olds = ", ".join(p.words() for p in previous)
    return f"{wanted.role} renamed to {wanted.name}: its {data} move to volume {wanted.volume}; {olds} removed after"
