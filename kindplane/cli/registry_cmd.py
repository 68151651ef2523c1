"""`kindplane registry ls|push|rm|gc` (issue: registry tooling). Registered by app.py."""


def register(app) -> None:
    """Adds the `registry` command group to the root Typer app."""
