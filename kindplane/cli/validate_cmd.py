"""`kindplane validate`: the schema check alone; every problem with its key path, exit 2."""

from __future__ import annotations

import typer

from ..core.errors import ConfigError
from ..core.naming import node_names, registry_host_address
from . import ui
from .context import cli_of


def validate(ctx: typer.Context) -> None:
    """Check kindplane.yaml against the schema (nothing else is touched)."""
    cli = cli_of(ctx)
    try:
        config = cli.load()
    except ConfigError as exc:
        ui.config_failed(exc)
    cluster = config.cluster
    ui.config_warnings(cli.config_path, cluster)
    registry = cluster.registry
    where = f"registry {registry.name} on {registry_host_address(registry)}" if registry.enabled else "no registry"
    if registry.enabled and registry.external:
        where = f"external registry {registry.name} (its port is read from Docker at up)"
    ui.say(f"{cli.config_path} is valid: cluster {cluster.name}, {len(node_names(cluster))} node(s), {where}", "green")


def register(app: typer.Typer) -> None:
    """Adds `validate` to the root Typer app."""
    app.command("validate")(validate)
