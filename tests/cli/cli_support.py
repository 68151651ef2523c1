"""Helpers shared by the CLI tests (a module of its own: several test folders have a conftest)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path


def write_exe(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def path_without_tools(links: Path) -> str:
    """$PATH minus folders holding kind or pulumi; what the harness needs is linked back in."""
    links.mkdir()
    keep = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder and not any(os.access(os.path.join(folder, t), os.X_OK) for t in ("kind", "pulumi")):
            keep.append(folder)
    for tool in ("sh", "docker", "cat", "env", "sed", "grep", "mkdir", "rm"):
        found = shutil.which(tool)
        if found and not shutil.which(tool, path=os.pathsep.join(keep)):
            (links / tool).symlink_to(found)
    return os.pathsep.join([str(links)] + keep)
