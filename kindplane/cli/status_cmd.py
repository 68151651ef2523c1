"""`kindplane status`: a short view over doctor's checks — one line each, a fix under a failure."""
from __future__ import annotations

import typer

from .checks_view import checks_report, print_checks, run_checks
from .context import EXIT_FAILED
from .output import Format, emit, output_option


def register(app: typer.Typer) -> None:
    @app.command()
    def status(ctx: typer.Context, output: Format = output_option()) -> None:
        """Is everything there and working? doctor's checks, one line each; exit 1 if one fails."""
        config, results = run_checks(ctx)
        if output is Format.text:
            print_checks(results, details=False)
        else:
            emit(checks_report(config, results), output)
        if any(not r.ok for r in results):
            raise typer.Exit(EXIT_FAILED)
