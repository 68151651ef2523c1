"""Running the program's command strings for real: `sh -c`, stdin, the `kind` stand-in first on PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional

BIN_DIR = Path(__file__).resolve().parent / "bin"


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
