"""The root Typer app: global options, then one module per command (each imports lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..core.config_file import DEFAULT_FILE
from . import config_cmd, doctor_cmd, init_cmd, lifecycle_cmd, ls_cmd, registry_cmd, setup_cmd, status_cmd, validate_cmd
from .context import cli_of, default_backend
from .global_options import GlobalOptionsGroup

app = typer.Typer(
    name="kindplane",
    cls=GlobalOptionsGroup,  # -c/-s/--backend/-v also after the command
    help="A Kind cluster plus a local container registry from one kindplane.yaml.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain Click help: Typer's Rich help formatter imports markdown/pygments (~60 ms), which
    # would cost `kindplane --help` most of its start-up budget.
    rich_markup_mode=None,
)


def show_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"kindplane {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Path = typer.Option(Path(DEFAULT_FILE), "-c", "--config", help="Path to kindplane.yaml."),
    stack: Optional[str] = typer.Option(
        None,
        "-s",
        "--stack",
        help="Pulumi stack name.",
        show_default="the project's stack file naming this config, else the config file's name",
    ),
    backend: Optional[str] = typer.Option(
        None,
        "--backend",
        help="Pulumi state backend URL.",
        show_default="$PULUMI_BACKEND_URL or file://~/.kindplane/state",
    ),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show Pulumi's own output too."),
    version: bool = typer.Option(
        False, "--version", callback=show_version, is_eager=True, help="Print kindplane's version and exit."
    ),
) -> None:
    # Tests hand in a CliContext (obj=...) carrying a recording engine; keep it, set the options.
    cli = cli_of(ctx)
    cli.config_path, cli.stack, cli.backend, cli.verbose = config, stack, backend, verbose
    ctx.obj = cli


# Every command module has one register(app) that adds its commands; the order is --help's.
COMMAND_MODULES = (
    lifecycle_cmd,
    ls_cmd,
    status_cmd,
    validate_cmd,
    init_cmd,
    config_cmd,
    setup_cmd,
    registry_cmd,
    doctor_cmd,
)
for module in COMMAND_MODULES:
    module.register(app)

__all__ = ["app", "default_backend"]
