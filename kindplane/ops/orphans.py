"""What a killed Pulumi run left running: its plugins and its language host, orphaned.

Pulumi starts them in process groups of their own, so a `pulumi up` killed outright (kindplane's
runs have run_guard; a `pulumi up` of the other door, or one from before, does not) leaves them
running, ~100 MB each, under init. They are recognised by their program (`pulumi-resource-*`,
`pulumi-language-*`, the Python program's `pulumi-language-python-exec`), their working folder
(the project's: Pulumi runs them there) and their parent (none left but init or a subreaper that
is not a live Pulumi): a running Pulumi's own plugins are never touched.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

PLUGIN_PREFIXES = ("pulumi-resource-", "pulumi-language-", "pulumi-analyzer-")
PROGRAM_RUNNER = "pulumi-language-python-exec"


def _parent(pid: str) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _names(argv: list[bytes]) -> set[str]:
    """The program's name, and the script's when an interpreter runs one (`python [-I] script`)."""
    return {Path(a.decode("utf-8", "replace")).name for a in argv[:3] if a}


def _is_pulumi_part(argv: list[bytes]) -> bool:
    return any(n.startswith(PLUGIN_PREFIXES) or n == PROGRAM_RUNNER for n in _names(argv))


def orphans(project_dir: Path) -> list[int]:
    """Pulumi plugins and language hosts left running in `project_dir` by a run that is gone."""
    where = str(project_dir.resolve())
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if os.readlink(proc / "cwd") != where:
                continue
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            parent = _parent(proc.name)
            parent_argv = (Path(f"/proc/{parent}/cmdline").read_bytes() if parent > 1 else b"").split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if not _is_pulumi_part(argv):
            continue
        alive_parent = parent > 1 and (_names(parent_argv) & {"pulumi", "run_guard.py"} or _is_pulumi_part(parent_argv))
        if not alive_parent:
            found.append(int(proc.name))
    return found


def reap_orphans(project_dir: Path, passes: int = 3) -> list[int]:
    """Ends every orphan of a dead run in `project_dir`; returns their pids. Several passes: the
    program a language host ran is orphaned only once that host is gone."""
    ended: list[int] = []
    for _ in range(passes):
        found = [pid for pid in orphans(project_dir) if pid not in ended]
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                ended.append(pid)
            except (ProcessLookupError, PermissionError):
                continue
    return ended
