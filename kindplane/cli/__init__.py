"""The `kindplane` command line (Typer). Heavy modules load inside commands, not at import."""


def main() -> None:
    from .app import app

    app()
