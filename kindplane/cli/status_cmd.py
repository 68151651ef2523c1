"""`kindplane status`: a short view over doctor's checks — one line each, a fix under a failure."""

from __future__ import annotations

import typer

from .checks_view import run_checks, show_checks
from .output import Format, output_option


def status(ctx: typer.Context, output: Format = output_option()) -> None:
    """Is everything there and working? doctor's checks, one line each; exit 1 if one fails."""
    show_checks(*run_checks(ctx), output, details=False)


def register(app: typer.Typer) -> None:
    """Adds `status` to the root Typer app."""
    app.command("status")(status)
