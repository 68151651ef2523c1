"""Which Pulumi project, stack and backend a kindplane.yaml belongs to: one state for both doors.

`pulumi up -s dev` on the project and `kindplane up -s dev` must act on the same state. So the
CLI never keeps a state of its own: it runs the project's own program (`__main__.py`) in the
project's folder, with the project's stack files and backend (Pulumi.yaml `backend.url`).
A kindplane.yaml outside any kindplane project runs in kindplane's own project folder
(~/.kindplane/project), which is the same program under the same project name.

The stack never follows the cluster name (renaming the cluster must replace the cluster, not
silently start a second stack): `-s` wins, then the project's stack file whose
`kindplane:configFile` names this file, then a name derived from the file:
`stacks/dev.kindplane.yaml` → `dev`, `~/shop/kindplane.yaml` → `shop`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..core.contract import CONFIG_FILE_KEY, DEFAULT_CONFIG_FILE, PROJECT

_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")  # what Pulumi accepts as a stack name
OWN_MAIN = (
    '"""Written by the kindplane CLI: the same program as a kindplane project\'s __main__.py."""\n'
    "from kindplane.program import main\n\nmain()\n"
)


class WorkspaceError(RuntimeError):
    """The stack cannot be chosen safely; the message names the fix."""


@dataclass(frozen=True)
class StackTarget:
    stack: str
    project_dir: Path  # holds Pulumi.yaml and __main__.py; the program runs here
    config_file: str  # the value of kindplane:configFile (relative to project_dir when inside)
    config_path: Path  # the kindplane.yaml, absolute
    backend: Optional[str]  # None: the project's own backend.url decides
    own_project: bool  # kindplane's own project folder, not the user's
    note: Optional[str] = None  # said before the command runs (a stack taken over)

    def describe(self) -> str:
        where = self.backend or "the project's backend"
        return f"stack {self.stack} (project {self.project_dir}, backend {where})"


def read_yaml(path: Path) -> dict:
    import yaml  # lazily: `kindplane --help` loads this module but never reads a file

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def find_project(start: Path) -> Optional[Path]:
    """The nearest folder at or above `start` whose Pulumi.yaml is a kindplane project."""
    for folder in [start, *start.parents]:
        settings = folder / "Pulumi.yaml"
        if settings.is_file() and read_yaml(settings).get("name") == PROJECT:
            return folder
    return None


def project_backend(project_dir: Path) -> Optional[str]:
    return (read_yaml(project_dir / "Pulumi.yaml").get("backend") or {}).get("url")


def file_backend_dir(url: str, base: Optional[Path] = None) -> Optional[Path]:
    """The folder of a `file://` backend, resolved by Pulumi's own rule: `~` is the OS account's
    home (not $HOME), a relative path is relative to `base` (the project folder Pulumi runs in)."""
    if not url.startswith("file://"):
        return None
    from ..ops.tools import account_home

    path = url[len("file://") :].split("?", 1)[0]
    if path == "~" or path.startswith("~/"):
        return account_home() / path[2:]
    return (base or Path.cwd()) / path


def absolute_backend(url: str, base: Optional[Path] = None) -> str:
    """The URL Pulumi should get: a `file://` backend as an absolute path, so every Pulumi run and
    kindplane itself open the same folder whatever $HOME or the working directory says."""
    folder = file_backend_dir(url, base)
    if folder is None:
        return url
    query = url.split("?", 1)[1] if "?" in url else ""
    return folder.as_uri() + (f"?{query}" if query else "")


def effective_backend(target: StackTarget) -> Optional[str]:
    """The backend Pulumi uses for `target`: --backend, else PULUMI_BACKEND_URL, else Pulumi.yaml's."""
    return target.backend or os.environ.get("PULUMI_BACKEND_URL") or project_backend(target.project_dir)


def stack_config_dir(project_dir: Path) -> Path:
    return project_dir / (read_yaml(project_dir / "Pulumi.yaml").get("stackConfigDir") or ".")


def stack_file(project_dir: Path, stack: str) -> Path:
    return stack_config_dir(project_dir) / f"Pulumi.{stack}.yaml"


def configured_file(project_dir: Path, stack: str) -> Optional[Path]:
    """The kindplane.yaml a stack file names (absolute), None when there is no stack file."""
    path = stack_file(project_dir, stack)
    if not path.is_file():
        return None
    value = (read_yaml(path).get("config") or {}).get(CONFIG_FILE_KEY) or DEFAULT_CONFIG_FILE
    return (project_dir / value).resolve()


def stacks_naming(project_dir: Path, config_path: Path) -> list[str]:
    folder = stack_config_dir(project_dir)
    names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))
    return [s for s in names if configured_file(project_dir, s) == config_path]


def derived_stack_name(config_path: Path) -> str:
    """`dev.kindplane.yaml` → dev; `kindplane.yaml` → its folder's name; made Pulumi-safe."""
    name = config_path.name
    for suffix in (".kindplane.yaml", ".kindplane.yml", ".yaml", ".yml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name in ("kindplane", ""):
        name = config_path.parent.name
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "default"
    return name[:100]


def check_stack_name(stack: str) -> str:
    if not _STACK_NAME.match(stack):
        raise WorkspaceError(
            f"{stack!r} is not a valid stack name: use letters, digits, '_', '.' and '-' (at most 100)"
        )
    return stack


def own_project_dir(home: Path) -> Path:
    return home / "project"


def write_own_project(project_dir: Path, backend: str) -> None:
    """kindplane's own project: same name and program as a kindplane project, its own stacks."""
    import yaml

    project_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "name": PROJECT,
        "runtime": {"name": "python", "options": {"toolchain": "pip"}},
        "description": "kindplane's own project for kindplane.yaml files outside a kindplane project",
        "stackConfigDir": "stacks",
        "backend": {"url": backend},
    }
    text = yaml.safe_dump(settings, sort_keys=False)
    if not (project_dir / "Pulumi.yaml").is_file() or (project_dir / "Pulumi.yaml").read_text() != text:
        (project_dir / "Pulumi.yaml").write_text(text)
    if not (project_dir / "__main__.py").is_file() or (project_dir / "__main__.py").read_text() != OWN_MAIN:
        (project_dir / "__main__.py").write_text(OWN_MAIN)
    (project_dir / "stacks").mkdir(exist_ok=True)


def resolve(
    config_path: Path, stack: Optional[str], backend: Optional[str], home: Path, default_backend: str
) -> StackTarget:
    """Chooses project, stack and backend for `config_path` without changing anything."""
    config_path = config_path.resolve()
    found = find_project(config_path.parent)
    own = found is None
    if found is None:
        project_dir = own_project_dir(home)
        backend = backend or default_backend
    else:
        project_dir = found
        pinned = project_backend(project_dir)
        if backend and pinned and backend != pinned:
            raise WorkspaceError(
                f"{project_dir / 'Pulumi.yaml'} pins the backend to {pinned}; --backend {backend} "
                f"would start a second state for the same resources. Drop --backend, or change "
                f"backend.url in Pulumi.yaml"
            )
        backend = backend or (None if pinned else os.environ.get("PULUMI_BACKEND_URL") or default_backend)
    try:
        relative = config_path.relative_to(project_dir)
        config_file = str(relative) if not own else str(config_path)
    except ValueError:
        config_file = str(config_path)

    if stack is None:
        naming = [] if own else stacks_naming(project_dir, config_path)
        if len(naming) > 1:
            raise WorkspaceError(f"stacks {', '.join(naming)} all use {config_path}; choose one with -s")
        stack = naming[0] if naming else derived_stack_name(config_path)
    check_stack_name(stack)
    note = None
    named = configured_file(project_dir, stack)
    if named is not None and named != config_path:
        note = take_over(project_dir, stack, named, config_path, backend)
    return StackTarget(stack, project_dir, config_file, config_path, backend, own, note)


def take_over(project_dir: Path, stack: str, named: Path, config_path: Path, backend: Optional[str]) -> str:
    """Whether `config_path` may have a stack whose file names another kindplane.yaml: only when
    that file is gone and the stack holds nothing (destroyed, or never updated), else WorkspaceError.
    `~/a/w/kindplane.yaml`, destroyed and deleted, must not block `~/b/w/kindplane.yaml` forever."""
    where = f"stack {stack} is configured for {named} ({stack_file(project_dir, stack)})"
    if named.exists():
        raise WorkspaceError(
            f"{where}, not {config_path}; pass -s with another stack name for this file, or -c {named}"
        )
    holds = stack_holds_resources(project_dir, stack, backend)
    if holds is False:
        return (
            f"stack {stack} was configured for {named}, which no longer exists, and holds no resources: "
            f"{config_path} takes it over"
        )
    unread = "may still hold resources (its backend is not a folder kindplane reads)"
    state = "still holds resources" if holds else unread
    raise WorkspaceError(
        f"{where}, which no longer exists, and the stack {state}; put that file back and run "
        f"`kindplane -c {named} down`, or pass -s with another stack name for {config_path}"
    )


def stack_holds_resources(project_dir: Path, stack: str, backend: Optional[str]) -> Optional[bool]:
    """From a file backend's state: True/False; None when the state is not one kindplane reads."""
    from .checkpoint import NotReadable, read_deployment
    from .state import holds_resources

    url = backend or os.environ.get("PULUMI_BACKEND_URL") or project_backend(project_dir)
    folder = file_backend_dir(url, project_dir) if url else None
    if folder is None:
        return None
    try:
        deployment = read_deployment(folder, PROJECT, stack)
    except NotReadable:
        return None if folder.exists() else False  # no state folder yet: no stack in it either
    return deployment is not None and holds_resources(deployment)
