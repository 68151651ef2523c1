"""Running the program's command strings for real: `sh -c`, stdin, the `kind` stand-in first on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

BIN_DIR = Path(__file__).resolve().parent / "bin"
REPO = BIN_DIR.parents[2]


def standin_env(base: Optional[dict] = None) -> dict:
    """The environment with tests/harness/bin (the `kind` stand-in) first on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_shell(command: str, stdin: Optional[str] = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """`sh -c COMMAND` as command.local.Command runs it; never raises on a non-zero exit."""
    return subprocess.run(
        ["sh", "-c", command], input=stdin or "", capture_output=True, text=True, timeout=timeout, env=standin_env()
    )


def run_program_command(cmd, which: str = "create") -> subprocess.CompletedProcess:
    """Runs a ShellCommand's `create` or `delete`; pulumi-command feeds stdin to both."""
    return run_shell(cmd.create if which == "create" else cmd.delete, cmd.stdin)


def kindplane(
    config: Path, *args: str, home: Optional[Path] = None, cwd: Optional[Path] = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`kindplane -c CONFIG ARGS…` of this checkout (never whatever checkout an editable install
    points at) in a process of its own, as a user runs it: the kind stand-in first on PATH, no
    colour, KINDPLANE_HOME=home when given. Never raises on a non-zero exit."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env["NO_COLOR"] = "1"
    if home is not None:
        env["KINDPLANE_HOME"] = str(home)
    argv = [sys.executable, "-m", "kindplane", "-c", str(config), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=standin_env(env), cwd=cwd, timeout=timeout)
