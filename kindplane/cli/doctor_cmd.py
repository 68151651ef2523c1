"""`kindplane doctor [IMAGE:TAG]`: the troubleshooting checks, one ✓/✗ line each, with fixes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..core.config_file import DEFAULT_FILE
from ..core.errors import ConfigError
from . import ui
from .context import EXIT_FAILED, EXIT_USAGE, CliContext

MARKS = {"ok": ("✓", "green"), "fail": ("✗", "red"), "skip": ("-", "dim")}


def register(app) -> None:
    """Adds the `doctor` command to the root Typer app."""
    app.command("doctor")(doctor)


def doctor(
    ctx: typer.Context,
    image: Optional[str] = typer.Argument(
        None, metavar="[IMAGE:TAG]",
        help="Also check that this image reference resolves to an image in the local registry.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Check Docker, the registry, its network and port, every node's containerd and the
    ConfigMap; each failure comes with the command that fixes it."""
    from ..ops.doctor import run_doctor
    from ..core.image_ref import ImageRefError, parse_image_ref

    cli = ctx.obj if isinstance(ctx.obj, CliContext) else CliContext()
    try:
        config = cli.load()
    except ConfigError as exc:
        ui.config_failed(exc)
    try:
        ref = parse_image_ref(image) if image is not None else None
    except ImageRefError as exc:
        ui.fail(str(exc), EXIT_USAGE)
    results = run_doctor(live_registry_port(config), ref, kindplane_argv(cli))
    failures = [r for r in results if not r.ok]
    if as_json:
        typer.echo(json.dumps({"ok": not failures, "checks": [r.as_dict() for r in results]}, indent=2))
    else:
        for result in results:
            mark, style = MARKS[result.status]
            line = ui.Text(f"{mark} ", style=style) + ui.Text(result.name)
            if result.detail:
                line += ui.Text(f": {result.detail}", style="dim" if result.status == "skip" else "")
            ui.out.print(line)
            if result.fix:
                ui.out.print(ui.Text("    fix: ") + ui.Text(result.fix, style="bold"))
        ran = [r for r in results if r.status != "skip"]
        summary = f"{len(failures)} of {len(ran)} checks failed" if failures else f"all {len(ran)} checks passed"
        ui.say(summary, "red" if failures else "green")
    if failures:
        raise typer.Exit(EXIT_FAILED)


def kindplane_argv(cli: CliContext) -> list[str]:
    """How fixes spell our own command, with the options this run was given."""
    argv = ["kindplane"]
    if Path(cli.config_path) != Path(DEFAULT_FILE):
        argv += ["-c", str(cli.config_path)]
    if cli.stack:
        argv += ["-s", cli.stack]
    return argv



def live_registry_port(config):
    """external: true: check the port the registry publishes now; if it cannot be read, the
    registry checks themselves say why (missing, stopped)."""
    from ..ops.docker_lookup import AdoptionError, DockerUnavailable
    from ..ops.shared_registry import with_live_port

    try:
        return with_live_port(config)
    except (AdoptionError, DockerUnavailable):
        return config
