"""`kindplane config kind`: the kind cluster config `up` would use, and nothing else on stdout."""

from __future__ import annotations

import sys

import typer

from ..core.errors import ConfigError
from . import ui
from .context import cli_of
from .output import Format, emit, output_option


def kind(ctx: typer.Context, output: Format = output_option()) -> None:
    """Print the kind Cluster config (YAML) that `kindplane up` hands to `kind create cluster`."""
    from ..core.render.kind_config import kind_config_yaml

    cli = cli_of(ctx)
    try:
        config = cli.load()
    except ConfigError as exc:
        ui.config_failed(exc)
    ui.config_warnings(cli.config_path, config.cluster)  # stderr: stdout stays kind's input
    text = kind_config_yaml(config.cluster)
    if output is Format.json:
        import yaml

        emit(yaml.safe_load(text), output)
    else:
        sys.stdout.write(text)  # raw YAML (text and yaml alike): pipe it straight into kind


def register(app: typer.Typer) -> None:
    """Adds the `config` group (`config kind`) to the root Typer app."""
    group = typer.Typer(help="Show configuration derived from kindplane.yaml.", no_args_is_help=True)
    group.command("kind")(kind)
    app.add_typer(group, name="config")
