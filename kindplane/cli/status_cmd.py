"""`kindplane status`: a short view over doctor's checks — one line each, a fix under a failure."""

from __future__ import annotations

import typer

from .checks_view import run_checks, show_checks
from .output import Format, output_option


def register(app: typer.Typer) -> None:
    @app.command()
    def status(ctx: typer.Context, output: Format = output_option()) -> None:
        """Is everything there and working? doctor's checks, one line each; exit 1 if one fails."""
        show_checks(*run_checks(ctx), output, details=False)
