"""Reading a plan for what it destroys: the cluster, the registry, a mirror, a volume of images.

`up` asks before such a plan runs and `preview` marks the same steps. Each finding is one
sentence: what goes, what is lost with it, and why (the kindplane.yaml keys that changed since
the last `up`, else what changed in what kindplane renders). A registry or mirror re-created on
the volume it already uses loses nothing: that is said, never asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..core.contract import COMMAND_TYPE, CONTAINER_TYPE, LOCAL_REGISTRY_TYPE, VOLUME_TYPE
from .engine import ResourceStep
from .state import MIRROR_COMPONENT, kind_cluster_of

REGISTRY_COMPONENT = f"{LOCAL_REGISTRY_TYPE}$"  # in the URN of every resource the registry component holds
REPLACING = ("replace", "create-replacement", "delete-replaced")
MAX_REASONS = 3
# Pulumi's stand-in for a value only known once the update runs.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Loss:
    urn: str
    role: str  # "cluster", "registry", "mirror" or "volume"
    name: str
    done: str  # "re-created" or "deleted"
    message: str
    lossy: bool  # False: re-created on the data it keeps (said, never asked)

    @property
    def what(self) -> str:
        return f"{self.role} {self.name}"

    @property
    def pulled_through(self) -> bool:
        """A registry or mirror other clusters' nodes may pull through."""
        return self.role in ("registry", "mirror")


def plan_losses(
    steps: Iterable[ResourceStep],
    old_settings: Mapping[str, Any] | None,
    new_settings: Mapping[str, Any],
    skip_cluster: bool = False,
    cluster_reason: str | None = None,
) -> list[Loss]:
    """What the planned steps destroy. `skip_cluster`: the cluster's nodes are already gone;
    `cluster_reason`: why it is re-created when no setting says (nodes removed by hand)."""
    by_urn: dict[str, list[ResourceStep]] = {}
    for step in steps:
        if step.phase == "start" and step.urn:
            by_urn.setdefault(step.urn, []).append(step)
    kept_volumes = {_name(s.old_inputs) for s in _flat(by_urn) if s.type == VOLUME_TYPE and s.op in ("same", "update")}
    created_volumes = {_name(s.new_inputs) for s in _flat(by_urn) if s.type == VOLUME_TYPE and s.op == "create"}
    reasons = _Reasons(old_settings, new_settings, cluster_reason)
    renamed = renames(old_settings, new_settings)
    found = []
    for urn, planned in by_urn.items():
        ops = {s.op for s in planned}
        replaced, deleted = bool(ops & set(REPLACING)), "delete" in ops
        if not (replaced or deleted):
            continue
        # A replacement is several steps: the old state rides on one, the new inputs on another.
        step = replace(
            planned[0],
            old_inputs=next((s.old_inputs for s in planned if s.old_inputs), {}),
            new_inputs=next((s.new_inputs for s in planned if s.new_inputs), {}),
            retained=any(s.retained for s in planned),
            keys=next((s.keys for s in planned if s.keys), ()),
        )
        loss = None
        if step.type == COMMAND_TYPE and kind_cluster_of({"type": step.type, "inputs": step.old_inputs}):
            loss = None if skip_cluster else _cluster(step, replaced, reasons)
        elif step.type == CONTAINER_TYPE and _name(step.old_inputs) in renamed:
            loss = _renamed(step, renamed, mirror=MIRROR_COMPONENT in urn)
        elif step.type == CONTAINER_TYPE and (REGISTRY_COMPONENT in urn or MIRROR_COMPONENT in urn):
            loss = _container(step, replaced, kept_volumes, created_volumes, reasons, mirror=MIRROR_COMPONENT in urn)
        elif step.type == VOLUME_TYPE and _name(step.old_inputs).removesuffix("-data") in renamed:
            old = _name(step.old_inputs)
            new = f"{renamed[old.removesuffix('-data')]}-data"
            message = f"volume {old} goes once its data is copied into {new} (a rename: nothing is lost)"
            loss = Loss(urn, "volume", old, "deleted", message, False)
        elif step.type == VOLUME_TYPE and not step.retained:
            name, done = _name(step.old_inputs), "re-created" if replaced else "deleted"
            loss = Loss(urn, "volume", name, done, f"volume {name} will be {done}: the images in it are lost", True)
        if loss is not None:
            found.append(loss)
    return found


def renames(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, str]:
    """Old container name → new, for the registry and each mirror kindplane.yaml renamed (a mirror
    is the same one when its remote is): kindplane.ops.renames moves their data first."""
    if old is None:
        return {}
    found = {}
    before, after = old.get("registry") or {}, new.get("registry") or {}
    both = before.get("enabled") and after.get("enabled") and not before.get("external") and not after.get("external")
    if both and before.get("name") and after.get("name") and before["name"] != after["name"]:
        found[str(before["name"])] = str(after["name"])
    kept = {m.get("name") for m in new.get("mirrors") or []}
    gone = {m.get("remote"): m.get("name") for m in old.get("mirrors") or [] if m.get("name") not in kept}
    was = {m.get("name") for m in old.get("mirrors") or []}
    for mirror in new.get("mirrors") or []:
        if mirror.get("name") not in was and mirror.get("remote") in gone:
            found[str(gone[mirror["remote"]])] = str(mirror["name"])
    return found


def _renamed(step: ResourceStep, renamed: Mapping[str, str], mirror: bool) -> Loss:
    old = _name(step.old_inputs)
    role, data = ("mirror", "its cache moves") if mirror else ("registry", "its images move")
    message = f"{role} {old} is renamed {renamed[old]}: {data} to volume {renamed[old]}-data, nothing is lost"
    return Loss(step.urn, role, old, "renamed", message, False)


def _flat(by_urn: Mapping[str, list[ResourceStep]]) -> list[ResourceStep]:
    return [s for planned in by_urn.values() for s in planned]


def _name(inputs: Mapping[str, Any]) -> str:
    return str(inputs.get("name") or "?")


def _cluster(step: ResourceStep, replaced: bool, reasons: _Reasons) -> Loss:
    old = kind_cluster_of({"type": step.type, "inputs": step.old_inputs}) or "?"
    new = kind_cluster_of({"type": step.type, "inputs": step.new_inputs}) or old
    if not replaced:
        message = f"cluster {old} will be deleted: every workload in it is lost"
        return Loss(step.urn, "cluster", old, "deleted", message, True)
    if new == old:
        change, lost = f"cluster {old} will be re-created", "every workload in it is lost"
    else:
        change, lost = f"cluster {old} will be deleted and cluster {new} created", f"every workload in {old} is lost"
    return Loss(step.urn, "cluster", old, "re-created", f"{change}: {lost}; reason: {reasons.cluster(step)}", True)


def _container(
    step: ResourceStep,
    replaced: bool,
    kept_volumes: set[str],
    created_volumes: set[str],
    reasons: _Reasons,
    mirror: bool,
) -> Loss:
    name = _name(step.old_inputs)
    role = "mirror" if mirror else "registry"
    why = reasons.mirror(name, step) if mirror else reasons.registry(step)
    if not replaced:
        if step.retained:
            message = f"{role} {name} leaves the stack; the container and its data stay in Docker (persistent)"
            return Loss(step.urn, role, name, "deleted", message, False)
        lost = "its cache (pulls fetch from the upstream again)" if mirror else "every image pushed to it"
        return Loss(step.urn, role, name, "deleted", f"{role} {name} will be deleted with {lost}; reason: {why}", True)
    kept = "its cache is kept" if mirror else "no image is lost"
    volume = _same_volume(step)
    if volume is not None and volume in kept_volumes:
        message = f"{role} {name} will be re-created on its volume {volume}: {kept} (reason: {why})"
        return Loss(step.urn, role, name, "re-created", message, False)
    moved_into = sorted(_named_volumes(step.new_inputs) & created_volumes)
    if moved_into and _name(step.new_inputs) == name:
        # A container of this name keeping its data elsewhere (made by an older kindplane): up copies
        # it into the new volume before Pulumi replaces the container (kindplane.ops.keeper).
        message = (
            f"{role} {name} will be re-created on the new volume {moved_into[0]}, its data copied there "
            f"first: {kept} (reason: {why})"
        )
        return Loss(step.urn, role, name, "re-created", message, False)
    lost = "its cache is lost (pulls fetch from the upstream again)" if mirror else "every image pushed to it is lost"
    return Loss(step.urn, role, name, "re-created", f"{role} {name} will be re-created: {lost}; reason: {why}", True)


def _named_volumes(inputs: Mapping[str, Any]) -> set[str]:
    named = {v.get("volumeName") for v in inputs.get("volumes") or [] if isinstance(v, Mapping)}
    return {str(v) for v in named - {None, "", UNKNOWN}}


def _same_volume(step: ResourceStep) -> str | None:
    """The named volume the old container used that the new one mounts again, if any."""
    same = _named_volumes(step.old_inputs) & _named_volumes(step.new_inputs)
    return sorted(same)[0] if same else None


class _Reasons:
    """Why a resource changes: kindplane.yaml keys first, then what kindplane renders."""

    def __init__(self, old: Mapping[str, Any] | None, new: Mapping[str, Any], cluster_reason: str | None = None):
        from ..core.settings_diff import setting_changes

        self.old, self.new, self.cluster_reason = old, new, cluster_reason
        self.changes = setting_changes(old, new) if old is not None else []

    def cluster(self, step: ResourceStep) -> str:
        own = [c for c in self.changes if not c.path.startswith(("registry.", "mirrors"))]
        if self.old is not None and _has_patch(self.old) != _has_patch(self.new):
            # The containerd patch for hosts.toml comes with the first registry or mirror.
            own += [c for c in self.changes if c.path == "registry.enabled" or _is_entry(c.path, "mirrors")]
        if own:
            return _join(own)
        if self.cluster_reason:
            return self.cluster_reason
        if _repair(step.new_inputs) != _repair(step.old_inputs):
            return "a node of it was removed outside kindplane"  # the program's read-back (core.render.drift)
        rendered = _kind_config_changes(step)
        if rendered:
            return f"the kind config kindplane renders changed: {_join(rendered)}"
        return f"changed inputs: {', '.join(step.keys) or 'unknown'}"

    def registry(self, step: ResourceStep) -> str:
        own = [c for c in self.changes if c.path.startswith("registry.")]
        return _join(own) if own else f"kindplane changed the container's {', '.join(step.keys) or 'settings'}"

    def mirror(self, name: str, step: ResourceStep) -> str:
        from ..core.settings_diff import ABSENT, SettingChange, setting_changes

        def entry(settings: Mapping[str, Any] | None) -> tuple[int, Any]:
            mirrors = list((settings or {}).get("mirrors") or [])
            return next(((i, m) for i, m in enumerate(mirrors) if m.get("name") == name), (-1, ABSENT))

        (i_old, old), (i_new, new) = entry(self.old), entry(self.new)
        if self.old is None or (old is ABSENT and new is ABSENT):
            return f"kindplane changed the container's {', '.join(step.keys) or 'settings'}"
        at = f"mirrors[{i_new if i_new >= 0 else i_old}]"
        # A mirror added or removed is one change: the entry is the unit a user writes.
        own = [SettingChange(at, old, new)] if ABSENT in (old, new) else setting_changes(old, new, at)
        return _join(own) if own else f"kindplane changed the container's {', '.join(step.keys) or 'settings'}"


def _repair(inputs: Mapping[str, Any]) -> list[str]:
    from ..core.render.drift import REPAIR_TRIGGER

    return [t for t in inputs.get("triggers") or [] if isinstance(t, str) and t.startswith(REPAIR_TRIGGER)]


def _has_patch(settings: Mapping[str, Any]) -> bool:
    return bool((settings.get("registry") or {}).get("enabled") or settings.get("mirrors"))


def _is_entry(path: str, key: str) -> bool:
    return path.startswith(f"{key}[") and path.endswith("]") and "." not in path


def _kind_config_changes(step: ResourceStep) -> list:
    import yaml

    from ..core.settings_diff import setting_changes

    try:
        old = yaml.safe_load(str(step.old_inputs.get("stdin") or ""))
        new = yaml.safe_load(str(step.new_inputs.get("stdin") or ""))
    except yaml.YAMLError:
        return []
    return setting_changes(old, new) if isinstance(old, dict) and isinstance(new, dict) else []


def _join(changes: list) -> str:
    shown = ", ".join(str(c) for c in changes[:MAX_REASONS])
    return shown + (f" and {len(changes) - MAX_REASONS} more" if len(changes) > MAX_REASONS else "")
