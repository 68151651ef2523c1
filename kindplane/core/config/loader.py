"""kindplane.yaml loaded: YAML → models, every problem as a ConfigError naming the file and key path."""

from __future__ import annotations

import difflib
import shlex
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import BaseModel, ValidationError

from ..config_file import DEFAULT_FILE
from ..errors import ConfigError, ConfigProblem
from .models import ClusterConfig, KindplaneConfig, _KeyedProblems
from .tls_files import read_tls_files, resolve_tls_paths

# --- loading ---------------------------------------------------------------------------------


def load_config(path: str | Path = DEFAULT_FILE) -> KindplaneConfig:
    """Read and validate a kindplane.yaml; raises ConfigError naming the file and key paths."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), "", unreadable(path, exc))]) from None
    config = resolve_tls_paths(resolve_host_paths(parse_config(text, str(path)), path.parent), path.parent)
    read_tls_files(config.cluster, str(path))  # a missing or broken certificate stops here, at its key
    return config


def unreadable(path: Path, exc: Exception) -> str:
    """Why `path` cannot be read as kindplane.yaml, and the fix for that reason."""
    if isinstance(exc, FileNotFoundError):
        return f"file not found; create it with `{init_command(path)}`"
    if isinstance(exc, IsADirectoryError):
        inside = path / DEFAULT_FILE
        if inside.is_file():
            return f"is a directory; pass the file inside it: `-c {shlex.quote(str(inside))}`"
        return f"is a directory, not a kindplane.yaml; create one in it with `{init_command(inside)}`"
    if isinstance(exc, PermissionError):
        return (
            f"permission denied: this user cannot read it; see who can with `ls -l {shlex.quote(str(path))}` "
            f"and make it readable (`chmod u+r` when it is yours)"
        )
    if isinstance(exc, UnicodeDecodeError):
        return f"is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); save it as UTF-8"
    return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"


def init_command(path: Path) -> str:
    """The `kindplane init` that writes `path` (init writes the file -c names)."""
    if path.absolute() == Path.cwd() / DEFAULT_FILE:
        return "kindplane init"
    return f"kindplane -c {shlex.quote(str(path))} init"


def resolve_host_paths(config: KindplaneConfig, base: Path) -> KindplaneConfig:
    """Relative extraMounts.hostPath values, made absolute against the config file's folder.

    kind resolves them against its own working directory, which under Pulumi is the program's
    or the provider's folder, not the user's: left relative, the mount would silently be empty.
    """
    mounts = config.cluster.extra_mounts
    if all(Path(m.host_path).is_absolute() for m in mounts):
        return config
    resolved = [
        m
        if Path(m.host_path).is_absolute()
        else m.model_copy(update={"host_path": str((base / m.host_path).resolve())})
        for m in mounts
    ]
    cluster = config.cluster.model_copy(update={"extra_mounts": resolved})
    return config.model_copy(update={"cluster": cluster})


def parse_config(text: str, file: str = DEFAULT_FILE) -> KindplaneConfig:
    """Validate kindplane.yaml text; `file` is only used to label errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(file, "", f"{where}not valid YAML ({problem})")]) from None
    return validate_data(data, file)


def validate_data(data: Any, file: str = DEFAULT_FILE) -> KindplaneConfig:
    if data is None:
        raise ConfigError([ConfigProblem(file, "", "is empty; it needs at least `cluster: {name: ...}`")])
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file, "", f"must be a mapping with a `cluster` key, got {_kind_of(data)}")])
    try:
        return KindplaneConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, data, file)) from None


def _problems_from(exc: ValidationError, data: Any, file: str) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for err in exc.errors(include_url=False):
        if err["type"] == "default_factory_not_called":
            continue  # a default derived from a field that is itself reported
        loc = list(err["loc"])
        # Pydantic appends the Literal/union branch or the type to loc for some errors.
        path = _dotted(loc)
        original = err.get("ctx", {}).get("error")
        if isinstance(original, _KeyedProblems):
            for key, message in original.problems:
                problems.append(ConfigProblem(file, _join(path, key), message))
            continue
        problems.append(ConfigProblem(file, path, _message(err, loc, data)))
    # Stable order makes "all errors at once" readable and testable.
    return sorted(dict.fromkeys(problems), key=lambda p: p.path)


def _message(err: Mapping[str, Any], loc: list, data: Any) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc[:-1], data)
        hint = difflib.get_close_matches(key, allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; allowed keys: {', '.join(allowed)}"
        return f"unknown key {key!r}{suggestion}"
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be an integer, got {_show(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {_show(value)}"
    if kind == "string_type":
        if isinstance(value, float):  # YAML read `1.30` as the number 1.3: only quotes keep it
            return (
                f"must be a string, got the number {value!r}; write it in quotes, "
                'e.g. "1.31" (unquoted, YAML reads 1.30 as 1.3)'
            )
        return f"must be a string, got {_show(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping, got {_show(value)}"
    if kind == "list_type":
        return f"must be a list, got {_show(value)}"
    if kind == "literal_error":
        return f"must be one of {err['ctx']['expected']}, got {_show(value)}"
    return f"{err['msg']}, got {_show(value)}"


def _allowed_keys(loc: list, data: Any) -> list[str]:
    model: type[BaseModel] = KindplaneConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if model is ClusterConfig and part == "kind":  # typed Any in the model: see ClusterConfig.kind
            from ..kind_fragment import KindFragment

            model = KindFragment
            continue
        field = next(f for n, f in model.model_fields.items() if (f.alias or n) == part)
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        nested = inner[0] if inner and isinstance(inner[0], type) else annotation
        if not (isinstance(nested, type) and issubclass(nested, BaseModel)):
            return []  # not a model: no keys to suggest
        model = nested
    return [f.alias or n for n, f in model.model_fields.items()]


def _dotted(loc: list) -> str:
    out = ""
    for part in loc:
        out = f"{out}[{part}]" if isinstance(part, int) else _join(out, str(part))
    return out


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _kind_of(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _kind_of(value)
    return repr(value)
