"""`kindplane doctor [IMAGE:TAG]`: the troubleshooting checks, one ✓/✗ line each, with fixes."""

from __future__ import annotations

from typing import Optional

import typer

from . import ui
from .checks_view import run_checks, show_checks
from .context import EXIT_USAGE
from .output import Format, chosen_format, json_alias_option, output_option


def doctor(
    ctx: typer.Context,
    image: Optional[str] = typer.Argument(
        None,
        metavar="[IMAGE:TAG]",
        help="Also check that this image reference resolves to an image in the local registry.",
    ),
    output: Format = output_option(),
    as_json: bool = json_alias_option(),
) -> None:
    """Check kind, the Pulumi CLI, Docker, the registry, its network and port, every node's
    containerd and the ConfigMap; each failure comes with the command that fixes it."""
    from ..core.image_ref import ImageRefError, parse_image_ref

    try:
        ref = parse_image_ref(image) if image is not None else None
    except ImageRefError as exc:
        ui.fail(str(exc), EXIT_USAGE)
    show_checks(*run_checks(ctx, ref), chosen_format(output, as_json), details=True)


def register(app: typer.Typer) -> None:
    """Adds `doctor` to the root Typer app."""
    app.command("doctor")(doctor)
