"""How status and doctor show the checks of kindplane.ops.doctor: one code path, one wording."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from ..core.errors import ConfigError
from . import ui
from .context import CliContext, cli_of, kindplane_argv
from .live_registry import live_or_as_written

if TYPE_CHECKING:
    from ..core.config import KindplaneConfig
    from ..core.image_ref import ImageRef
    from ..ops.doctor import CheckResult

MARKS = {"ok": ("✓", "green"), "fail": ("✗", "red"), "skip": ("-", "dim"), "warn": ("!", "yellow")}


# Without a kindplane.yaml doctor and status run the tool checks, then this one line (status too).
NO_CONFIG = "not checked without a kindplane.yaml"
NEED_A_CONFIG = "the Pulumi state, the registry, the mirrors, every node's containerd, the ConfigMap"


def run_checks(ctx: Any, image: Optional["ImageRef"] = None) -> tuple[Optional["KindplaneConfig"], list["CheckResult"]]:
    """Every check for the config; without a config file, the tool checks and a line saying which
    checks need one (a file that is there but unreadable or invalid is still exit 2)."""
    from ..ops.check_result import skip
    from ..ops.doctor import run_doctor, run_tool_checks

    cli = cli_of(ctx)
    path = Path(cli.config_path)
    if not path.exists():
        from ..core.config.loader import init_command

        found = run_tool_checks(kindplane_argv(cli))
        why = f"{NEED_A_CONFIG} ({path} not found; create it with `{init_command(path)}`)"
        return None, found + [skip(NO_CONFIG, why)]
    try:
        config = cli.load()
    except ConfigError as exc:
        ui.config_failed(exc)
    results = run_doctor(live_or_as_written(config), image, kindplane_argv(cli), _registry_login(config, path))
    return config, results[:2] + [state_check(cli)] + results[2:]  # after the tools, before Docker


def _registry_login(config: "KindplaneConfig", path: Path) -> Optional[tuple[str, str]]:
    """registry.auth's credentials when their variable is set; the checks say so when it is not."""
    import os

    from ..core.credentials import local_registry_credentials

    try:
        return local_registry_credentials(config.cluster, os.environ, str(path))
    except ConfigError:
        return None


def state_check(cli: CliContext) -> "CheckResult":
    """Where this config's stack lives, resolved as Pulumi resolves it (`~` is the account's home)."""
    from ..ops.check_result import fail, ok
    from .workspace import WorkspaceError, absolute_backend, effective_backend, file_backend_dir

    title = "Pulumi state"
    try:
        target = cli.target()
    except WorkspaceError as exc:
        return fail(title, str(exc))
    url = effective_backend(target) or "the Pulumi CLI's login"
    folder = file_backend_dir(url, target.project_dir)
    where = absolute_backend(url, target.project_dir) if folder is None else str(folder)
    missing = "" if folder is None or folder.is_dir() else " (made by the first `kindplane up`)"
    return ok(title, f"stack {target.stack} in {where}{missing}")


def print_checks(results: list["CheckResult"], details: bool) -> None:
    """doctor prints every line with what it found; status only names passing checks and leaves
    out skipped ones (but the line naming what needs a kindplane.yaml). Both print a failure's
    detail and fix, and the same summary line."""
    for result in results:
        always = result.name == NO_CONFIG
        if result.status == "skip" and not details and not always:
            continue
        mark, style = MARKS[result.status]
        line = ui.Text(f"{mark} ", style=style) + ui.Text(result.name)
        if result.detail and (details or result.status in ("fail", "warn") or always):
            line += ui.Text(f": {result.detail}", style="dim" if result.status == "skip" else "")
        ui.out.print(line)
        if result.fix:
            ui.out.print(ui.Text("    fix: ") + ui.Text(result.fix, style="bold"))
    failures = [r for r in results if not r.ok]
    ran = [r for r in results if r.status != "skip"]
    summary = f"{len(failures)} of {len(ran)} checks failed" if failures else f"all {len(ran)} checks passed"
    ui.say(summary, "red" if failures else "green")


def show_checks(config: Optional["KindplaneConfig"], results: list["CheckResult"], output: Any, details: bool) -> None:
    """Prints the checks as text or a document, then exits 1 when one failed."""
    import typer

    from .context import EXIT_FAILED
    from .output import Format, emit

    if output is Format.text:
        print_checks(results, details)
    else:
        emit(checks_report(config, results), output)
    if any(not r.ok for r in results):
        raise typer.Exit(EXIT_FAILED)


def checks_report(config: Optional["KindplaneConfig"], results: list["CheckResult"]) -> dict:
    """The JSON/YAML document of `status -o json` and `doctor -o json` (cluster null without a config)."""
    return {
        "cluster": config.cluster.name if config else None,
        "ok": all(r.ok for r in results),
        "checks": [r.as_dict() for r in results],
    }
