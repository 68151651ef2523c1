"""`kindplane ls`: every stack in the project's backend with its cluster, registry and mirrors."""

from __future__ import annotations

from typing import Any

import typer

from . import ui
from .context import cli_of
from .output import Format, emit, output_option

COLUMNS = ("STACK", "CLUSTER", "REGISTRY", "MIRRORS", "LAST UPDATE", "RESOURCES")


def stack_rows(stacks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `-o json` document: one entry per stack, keys documented in docs/cli.md."""
    rows = []
    for found in stacks:
        outputs = found.get("outputs") or {}
        rows.append(
            {
                "stack": found["stack"],
                "cluster": outputs.get("clusterName"),
                "registry": outputs.get("registryHost"),
                "mirrors": sorted(outputs.get("mirrors") or {}),  # the program exports {host: address}
                "configFile": outputs.get("configFile"),
                "lastUpdate": found.get("lastUpdate"),
                "resourceCount": found.get("resourceCount"),
                "updateInProgress": bool(found.get("updateInProgress")),
            }
        )
    return rows


def table_lines(rows: list[dict[str, Any]]) -> list[str]:
    cells = [COLUMNS] + [
        (
            r["stack"],
            r["cluster"] or "-",
            r["registry"] or "-",
            ", ".join(r["mirrors"]) or "-",
            (r["lastUpdate"] or "never") + (" (updating)" if r["updateInProgress"] else ""),
            "-" if r["resourceCount"] is None else str(r["resourceCount"]),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in cells]


def ls(ctx: typer.Context, output: Format = output_option()) -> None:
    """List every stack in the backend: its cluster, registry, mirrors, last update, resources."""
    from .command_steps import engine_errors, require_tools, target

    cli = cli_of(ctx)
    stack = target(cli)
    require_tools(cli, need_kind=False)
    with engine_errors():
        rows = stack_rows(cli.engine().list_stacks())
    if output is not Format.text:
        emit(rows, output)
        return
    if not rows:
        ui.say(
            f"No stacks in {stack.backend or 'the project backend'} (project {stack.project_dir}); "
            "`kindplane up` creates one."
        )
        return
    for line in table_lines(rows):
        ui.say(line)


def register(app: typer.Typer) -> None:
    """Adds `ls` to the root Typer app."""
    app.command("ls")(ls)
