"""What `<tool> version` printed, remembered across runs for as long as the binary is the same file.

Every `kindplane up` checks the Pulumi CLI's and kind's versions (too old a CLI has no resource
hooks, too old a kind no hosts.toml); asking them costs a process each (~0.2 s for `pulumi
version`) on a loop whose no-op is meant to take under a second. The answer is kept in
~/.kindplane/cache/tool-versions.json under the binary's identity — path, inode, size and
modification time — so a reinstalled or upgraded tool (a new file) is asked again. A cache that
cannot be read or written is only a slower run.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from .tools import kindplane_home

CACHE_NAME = "tool-versions.json"
_answers: dict[str, str] = {}  # this process's, also when the cache folder is not writable


def cache_file() -> Path:
    return kindplane_home() / "cache" / CACHE_NAME


def identity(binary: str) -> Optional[str]:
    """The binary as a file: the same key only while nobody replaced or rewrote it."""
    try:
        real = os.path.realpath(binary)
        stat = os.stat(real)
    except OSError:
        return None
    return f"{real}|{stat.st_ino}|{stat.st_size}|{stat.st_mtime_ns}"


def _read() -> dict[str, str]:
    try:
        found = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}


def _write(answers: dict[str, str]) -> None:
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            json.dump(answers, handle, indent=1, sort_keys=True)
        os.replace(handle.name, path)  # readers see the old file or the new one, never half of it
    except OSError:
        pass


def version_output(binary: str, timeout: float = 30) -> str:
    """`<binary> version`'s stdout, stripped. OSError or subprocess.TimeoutExpired when it cannot run."""
    key = identity(binary)
    if key is not None:
        if key in _answers:
            return _answers[key]
        stored = _read()
        if key in stored:
            _answers[key] = stored[key]
            return stored[key]
    done = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=timeout)
    answer = done.stdout.strip()
    if key is not None and done.returncode == 0 and answer:
        _answers[key] = answer
        stored = _read()
        # Entries of files that are gone or were replaced go: the file stays one line per tool.
        kept = {k: v for k, v in stored.items() if identity(k.split("|", 1)[0]) == k}
        _write({**kept, key: answer})
    return answer


def pulumi_version_text(pulumi: str) -> str:
    """`<pulumi> version`: preflight's check and the engine both need it, on every up."""
    return version_output(pulumi)
