"""`kindplane setup`: install what `up` needs and is missing (kind, the Pulumi CLI)."""

from __future__ import annotations

import shutil
from typing import Callable

import typer

from . import ui
from .context import EXIT_FAILED


def run_setup() -> list[str]:
    """Installs missing tools; returns the problems (empty when everything is in place)."""
    from ..ops.setup_tools import SetupError, install_kind, install_pulumi, installed_kind_version
    from ..ops.tools import KIND_VERSION, bin_dir

    problems = []
    ours = bin_dir() / "kind"
    elsewhere = shutil.which("kind")
    steps: list[Callable[[], str]] = [install_pulumi]
    if elsewhere and not ours.exists():
        version = installed_kind_version(ours.__class__(elsewhere)) or "unknown version"
        ui.say(f"kind already on PATH at {elsewhere} ({version}); not installing kind {KIND_VERSION}")
    else:
        steps.insert(0, install_kind)
    for step in steps:
        try:
            ui.say(step(), "green")
        except SetupError as exc:
            problems.append(str(exc))
    return problems


def setup() -> None:
    """Install the pinned kind release (SHA-256 checked) and the Pulumi CLI under ~/.kindplane."""
    problems = run_setup()
    if problems:
        ui.fail(problems, EXIT_FAILED)
    ui.say("Ready: Docker is the only other prerequisite. Next: `kindplane up`")


def register(app: typer.Typer) -> None:
    """Adds `setup` to the root Typer app."""
    app.command("setup")(setup)
