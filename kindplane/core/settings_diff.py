"""What changed in kindplane.yaml since the last `up`: key paths with their old and new values.

`up` names these as the reason when it would re-create something ("nodes.workers 1 → 2"). Paths
are relative to `cluster`, in kindplane.yaml's own spelling; list entries that carry a `name`
(mirrors) are matched by name, so removing one mirror does not read as every later one changing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()  # the key or list entry does not exist on that side


@dataclass(frozen=True)
class SettingChange:
    path: str  # "nodes.workers", "portMappings[1]", "mirrors[0].hostPort"
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.path} {show(self.old)} → {show(self.new)}"


def show(value: Any) -> str:
    """A value as it would be written in kindplane.yaml (flow style for mappings and lists)."""
    if value is ABSENT:
        return "(none)"
    if isinstance(value, str):
        return value or '""'
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000)
    return text.strip().removesuffix("...").strip()  # a scalar document ends with "..."


def setting_changes(old: Any, new: Any, path: str = "") -> list[SettingChange]:
    """Leaf differences between two settings documents (plain JSON-like data), in key order."""
    if isinstance(old, Mapping) and new is ABSENT or old is ABSENT and isinstance(new, Mapping):
        # A whole section added or removed: its leaves say more than one big value.
        old, new = (old if old is not ABSENT else {}), (new if new is not ABSENT else {})
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[SettingChange] = []
        for key in list(old) + [k for k in new if k not in old]:
            changes += setting_changes(old.get(key, ABSENT), new.get(key, ABSENT), _key(path, str(key)))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        return _list_changes(old, new, path)
    return [] if old == new else [SettingChange(path, old, new)]


def _list_changes(old: list, new: list, path: str) -> list[SettingChange]:
    # A list entry added or removed is one change: the entry is the unit a user writes.
    if _named(old) and _named(new):
        before = {item["name"]: (i, item) for i, item in enumerate(old)}
        after = {item["name"]: (i, item) for i, item in enumerate(new)}
        pairs = [(f"{path}[{i}]", before.get(name, (i, ABSENT))[1], item) for name, (i, item) in after.items()]
        pairs += [(f"{path}[{i}]", item, ABSENT) for name, (i, item) in before.items() if name not in after]
    else:
        pairs = [
            (f"{path}[{i}]", old[i] if i < len(old) else ABSENT, new[i] if i < len(new) else ABSENT)
            for i in range(max(len(old), len(new)))
        ]
    changes: list[SettingChange] = []
    for at, before_item, after_item in pairs:
        if before_item is ABSENT or after_item is ABSENT:
            changes.append(SettingChange(at, before_item, after_item))
        else:
            changes += setting_changes(before_item, after_item, at)
    return changes


def _named(items: list) -> bool:
    return all(isinstance(item, Mapping) and isinstance(item.get("name"), str) for item in items)


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
