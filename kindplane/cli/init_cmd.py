"""`kindplane init [--force] [--registry]`: write a commented starter kindplane.yaml."""

from __future__ import annotations

import typer

from ..core.errors import ConfigError
from . import ui
from .context import EXIT_FAILED, EXIT_USAGE, cli_of
from .starter import starter_yaml


def init(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    registry: bool = typer.Option(False, "--registry", help="Enable the local registry."),
    name: str = typer.Option("kindplane-dev", "--name", help="Cluster name."),
) -> None:
    """Write a starter kindplane.yaml (to the path given by -c)."""
    path = cli_of(ctx).config_path
    text = starter_yaml(name, registry)
    try:
        from ..core.config import parse_config

        parse_config(text, str(path))  # a bad --name fails here, before any file is written
    except ConfigError as exc:
        ui.config_failed(exc)
    if path.exists() and not force:
        ui.fail(f"{path} already exists; use `kindplane init --force` to overwrite it", EXIT_USAGE)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        ui.fail(f"cannot write {path}: {exc.strerror}", EXIT_FAILED)
    what = "with a local registry" if registry else "without a registry (add one with --registry)"
    ui.say(f"wrote {path} ({what}); next: `kindplane up`", "green")


def register(app: typer.Typer) -> None:
    """Adds `init` to the root Typer app."""
    app.command("init")(init)
