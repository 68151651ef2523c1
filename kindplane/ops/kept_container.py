"""What `up` does with a container kindplane keeps (the local registry, each pull-through mirror).

One pure function, `decide`, reads the facts (one `docker inspect` of the container, the data
volume when it matters, whether the stack's state holds the container) and returns the action.
Nothing here talks to Docker: `kindplane.ops.keeper` gathers the facts and carries the action out.

The model the decision rests on:
- The data (a registry's images, a mirror's cache) always lives in the named volume `<name>-data`,
  persistent or not; `persistent` only decides whether `down` keeps the container and the volume.
  So toggling `persistent` never moves data, and any container of ours can be recreated on it.
- The docker provider cannot import a kept container (it never reads `env` back and marks it
  force-new) and a read (`Container.get`) is never converged by `up`. So a container of ours that
  Pulumi has to create again (kept after `down`, or one whose config changed while it is retained)
  is removed right before that create — never its volume — and Pulumi makes a managed one on the
  same data. Whether that create happens is the engine's plan; kindplane only arms the removal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Mapping, Optional

from ..core.naming import LABEL_MANAGED_BY, LABEL_OWNER, LABEL_ROLE, REGISTRY_DATA_PATH


class Action(Enum):
    CREATE = "create"  # nothing of this name: Pulumi creates it (on the kept volume, when there is one)
    KEEP = "keep"  # this stack's, running, data in its volume
    START = "start"  # this stack's, stopped: started before Pulumi runs
    MOVE_DATA = "move data"  # this stack's, data outside its volume: copied into the volume first
    REFUSE = "refuse"  # up stops before anything changes; the message says the fix


class InState(Enum):
    """Whether the stack's state holds a container of this name (read only when Docker has none)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Wanted:
    """What the config asks for one kept container."""

    role: str  # "registry" | "mirror": the dev.kindplane.role label
    name: str  # the container name
    volume: str  # the data volume, `<name>-data`
    owner: str  # "<project>/<stack>"
    name_key: str  # the config key that names it, for messages (cluster.registry.name, …)
    labels: Mapping[str, str]  # what kindplane puts on the container and the volume
    port_key: str = ""  # the config key of its host port, for a port-taken message
    port: Optional[int] = None  # the registry's host port
    upstream: Optional[str] = None  # the mirror's remote


@dataclass(frozen=True)
class DataMount:
    """Where a container keeps its data (what is mounted at the data path)."""

    kind: str  # "volume" | "anonymous" | "bind" | "layer" (nothing mounted: the container's own files)
    name: str = ""  # the volume name or the host path

    def words(self) -> str:
        if self.kind == "volume":
            return f"volume {self.name!r}"
        if self.kind == "anonymous":
            return f"anonymous volume {self.name[:12]}"
        if self.kind == "bind":
            return f"host folder {self.name}"
        return "the container's own file system"


@dataclass(frozen=True)
class SeenContainer:
    """One `docker inspect` of the container holding the name."""

    id: str
    running: bool
    status: str
    managed_by_kindplane: bool
    role: Optional[str]
    owner: Optional[str]  # None: made before kindplane wrote owner labels
    data: DataMount


@dataclass(frozen=True)
class SeenVolume:
    managed_by_kindplane: bool
    owner: Optional[str]


@dataclass(frozen=True)
class Decision:
    action: Action
    # The container kindplane may remove right before Pulumi creates its successor (never its volume).
    container_id: Optional[str] = None
    refusal: Optional[str] = None
    data: Optional[DataMount] = None  # MOVE_DATA: where the data is now


def decide(
    wanted: Wanted,
    container: Optional[SeenContainer],
    volume: Optional[SeenVolume],
    in_state: InState = InState.UNKNOWN,
) -> Decision:
    """The action for one kept container. `volume` None: no such volume (or not looked at, which
    the caller does only when the container itself shows the data in its volume)."""
    if container is not None:
        refusal = _container_refusal(wanted, container)
        if refusal:
            return Decision(Action.REFUSE, refusal=refusal)
        if container.data != DataMount("volume", wanted.volume):
            refusal = _volume_refusal(wanted, volume)
            if refusal:
                return Decision(Action.REFUSE, refusal=refusal)
            return Decision(Action.MOVE_DATA, container.id, data=container.data)
        return Decision(Action.KEEP if container.running else Action.START, container.id)
    refusal = _volume_refusal(wanted, volume)
    if refusal:
        return Decision(Action.REFUSE, refusal=refusal)
    if in_state is InState.YES:
        return Decision(Action.REFUSE, refusal=_gone_from_docker(wanted, volume is not None))
    return Decision(Action.CREATE)


# --- reading inspect data (pure: the dicts the Docker API returns) ------------------------------


def seen_container(attrs: dict) -> SeenContainer:
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    state = attrs.get("State") or {}
    ours = labels.get(LABEL_MANAGED_BY) == "kindplane"
    return SeenContainer(
        id=attrs["Id"],
        running=bool(state.get("Running")),
        status=state.get("Status") or ("running" if state.get("Running") else "stopped"),
        managed_by_kindplane=ours,
        role=labels.get(LABEL_ROLE) if ours else None,
        owner=labels.get(LABEL_OWNER) if ours else None,
        data=data_mount(attrs),
    )


def seen_volume(attrs: dict) -> SeenVolume:
    labels = attrs.get("Labels") or {}
    return SeenVolume(labels.get(LABEL_MANAGED_BY) == "kindplane", labels.get(LABEL_OWNER))


def data_mount(attrs: dict) -> DataMount:
    mount = next((m for m in attrs.get("Mounts") or [] if m.get("Destination") == REGISTRY_DATA_PATH), None)
    if mount is None:
        return DataMount("layer")
    if mount.get("Type") == "bind":
        return DataMount("bind", mount.get("Source") or "")
    name = mount.get("Name") or ""
    # Docker names anonymous volumes with 64 hex digits; a named volume carries its own name.
    anonymous = len(name) == 64 and all(c in "0123456789abcdef" for c in name)
    return DataMount("anonymous" if anonymous else "volume", name)


# --- refusals: what was found, what kindplane will not do, the one command that fixes it -------


def _what(wanted: Wanted) -> str:
    return "registry" if wanted.role == "registry" else "mirror"


def _container_refusal(wanted: Wanted, container: SeenContainer) -> Optional[str]:
    if not container.managed_by_kindplane:
        return _foreign_container(wanted, container)
    if container.role != wanted.role:
        return (
            f"a container named {wanted.name!r} is kindplane's {container.role or 'unknown role'} container, "
            f"not a {_what(wanted)}; give one of them another name ({wanted.name_key})"
        )
    if container.owner not in (None, wanted.owner):
        return _other_stack(wanted, f"the {_what(wanted)} container", wanted.name, container.owner)
    return None


def _volume_refusal(wanted: Wanted, volume: Optional[SeenVolume]) -> Optional[str]:
    if volume is None:
        return None
    if not volume.managed_by_kindplane:
        return (
            f"a volume named {wanted.volume!r} exists but was not created by kindplane (no "
            f"{LABEL_MANAGED_BY}=kindplane label); kindplane keeps the {_what(wanted)}'s data in that "
            f"volume and will not take over one it did not make. Choose another {wanted.name_key}, or "
            f"remove the volume once you no longer need its content (`docker volume rm {wanted.volume}`)"
        )
    if volume.owner not in (None, wanted.owner):
        return _other_stack(wanted, f"the {_what(wanted)} volume", wanted.volume, volume.owner)
    return None


def _foreign_container(wanted: Wanted, container: SeenContainer) -> str:
    where = f"; its data is in {container.data.words()}, which kindplane leaves alone"
    if wanted.role == "registry":
        return (
            f"a container named {wanted.name!r} exists but was not created by kindplane "
            f"(no {LABEL_MANAGED_BY}=kindplane label){where}. To use it as it is, set "
            f"cluster.registry.external: true; else remove it with `docker rm -f {wanted.name}` "
            f"or choose another cluster.registry.name"
        )
    return (
        f"a container named {wanted.name!r} exists but is not a kindplane mirror (no "
        f"{LABEL_MANAGED_BY}=kindplane, {LABEL_ROLE}=mirror labels){where}. Remove it with "
        f"`docker rm -f {wanted.name}` or set another {wanted.name_key}"
    )


def _other_stack(wanted: Wanted, what: str, name: str, owner: str) -> str:
    stack = owner.split("/", 1)[-1]
    if wanted.role == "registry":
        return (
            f"{what} {name!r} belongs to kindplane stack {owner!r}, not to this stack {wanted.owner!r}. "
            f"To share it, set cluster.registry.external: true (and drop port, persistent, listenAddress, "
            f"image); else give this config its own cluster.registry.name and cluster.registry.port, or "
            f"remove that stack first (`kindplane down -s {stack}`)"
        )
    return (
        f"{what} {name!r} belongs to kindplane stack {owner!r}, not to this stack {wanted.owner!r}. "
        f"Give this config its own {wanted.name_key}, or remove that stack first (`kindplane down -s {stack}`)"
    )


def _gone_from_docker(wanted: Wanted, volume_exists: bool) -> str:
    stack = wanted.owner.split("/", 1)[-1]
    data = (
        f"its data is still in volume {wanted.volume!r}" if volume_exists else f"volume {wanted.volume!r} is gone too"
    )
    return (
        f"the {_what(wanted)} container {wanted.name!r} is in stack {stack!r}'s state but not in Docker "
        f"(removed by hand?); {data}. Pulumi would not create it again without a refresh: run "
        f"`pulumi refresh -s {stack} --yes` and then up again (`kindplane up` refreshes by itself)"
    )
