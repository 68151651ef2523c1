"""A file backend's stack lock, and telling the lock of a killed run from a live one.

Pulumi's file backend locks a stack with `<backend>/.pulumi/locks/organization/<project>/<stack>/
<uuid>.json` ({"pid", "username", "hostname", "timestamp"} of the `pulumi` process that took it)
and a `.json.attrs` sidecar. A run killed with SIGKILL (closed terminal, OOM killer) leaves both
behind, and Pulumi refuses every later run. A lock whose process no longer runs on this host can
be held by nobody, so kindplane removes it. A lock from another host, or whose process still
runs (or cannot be checked), is left alone: that run may be real.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# Clock skew and rounding between the lock's timestamp and /proc's start time, in seconds.
_START_SLACK = 2.0


@dataclass(frozen=True)
class StackLock:
    path: Path
    pid: int
    hostname: str
    timestamp: str

    def describe(self) -> str:
        return f"pulumi process {self.pid} on host {self.hostname}"


def lock_dir(backend_dir: Path, project: str, stack: str) -> Path:
    return backend_dir / ".pulumi" / "locks" / "organization" / project / stack


def read_locks(directory: Path) -> list[StackLock]:
    """The locks in a stack's lock folder; unreadable files are skipped (never removed)."""
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
            found.append(StackLock(path, int(data["pid"]), str(data["hostname"]), str(data.get("timestamp") or "")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def is_stale(lock: StackLock, this_host: str | None = None) -> bool:
    """Taken on this host by a process that no longer runs."""
    if lock.hostname != (this_host or socket.gethostname()) or lock.pid <= 0:
        return False
    return not process_runs(lock.pid, taken_at(lock.timestamp))


def remove(lock: StackLock) -> None:
    for path in (lock.path, lock.path.with_name(lock.path.name + ".attrs")):
        path.unlink(missing_ok=True)


def process_runs(pid: int, since: float | None = None) -> bool:
    """Whether `pid` is a live process that was already running at `since` (epoch seconds).

    Without /proc (macOS) only "no such process" counts as dead: a reused pid keeps the lock.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    if after_name[0] == "Z":
        return False  # exited, not reaped yet (its parent was killed too)
    booted = _boot_time()
    if since is None or booted is None:
        return True
    started = booted + int(after_name[19]) / os.sysconf("SC_CLK_TCK")
    return started <= since + _START_SLACK  # started later: a reused pid, not the lock's taker


def taken_at(timestamp: str) -> float | None:
    """Go's RFC 3339 time (nanoseconds, `Z` or an offset) as epoch seconds; None if unreadable."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", timestamp.strip())
    try:
        return datetime.fromisoformat(trimmed).timestamp()
    except ValueError:
        return None


def _boot_time() -> float | None:
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    return next((float(line.split()[1]) for line in lines if line.startswith("btime ")), None)
