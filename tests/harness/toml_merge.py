"""Merging kind's `containerdConfigPatches` into a containerd config, as kind does.

kind parses the node's config.toml and each patch as TOML and merges the patch tables over it
(later keys win, tables merge recursively). An invalid patch is an error, not ignored.
tomllib reads; the small writer below covers what containerd configs use (tables, strings,
booleans, numbers, arrays of scalars).
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class PatchError(ValueError):
    pass


def merge(base: dict, patch: dict) -> dict:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_patches(base_text: str, patches: list[str]) -> str:
    config = tomllib.loads(base_text)
    for i, patch in enumerate(patches):
        if not isinstance(patch, str):
            raise PatchError(f"containerdConfigPatches[{i}] must be a string of TOML")
        try:
            config = merge(config, tomllib.loads(patch))
        except tomllib.TOMLDecodeError as exc:
            raise PatchError(f"failed to apply containerd config patch {i}: invalid TOML: {exc}") from None
    return dumps(config)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise PatchError(f"cannot write TOML value {value!r}")


def dumps(config: dict, prefix: tuple[str, ...] = ()) -> str:
    scalars = [(k, v) for k, v in config.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in config.items() if isinstance(v, dict)]
    lines = []
    if prefix and (scalars or not tables):
        lines.append("[" + ".".join(_key(p) for p in prefix) + "]")
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars]
    text = "\n".join(lines) + ("\n" if lines else "")
    for key, table in tables:
        text += ("\n" if text else "") + dumps(table, prefix + (key,))
    return text
