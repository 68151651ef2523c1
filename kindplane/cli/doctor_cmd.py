"""`kindplane doctor [IMAGE:TAG]` (issue: registry tooling and doctor). Registered by app.py."""


def register(app) -> None:
    """Adds the `doctor` command to the root Typer app."""
