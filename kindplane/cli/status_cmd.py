"""`kindplane status`: is everything there and working? Exit 1 with what to run if not."""
from __future__ import annotations

import typer

from . import ui
from .context import EXIT_FAILED
from .lifecycle_cmd import docker, load


def register(app: typer.Typer) -> None:
    @app.command()
    def status(ctx: typer.Context) -> None:
        """Check the cluster's nodes, the registry container and API, hosts.toml, the ConfigMap."""
        from ..ops.status import gather

        from .doctor_cmd import live_registry_port

        config = load(ctx.obj)
        client = docker(ctx.obj)
        checks = gather(live_registry_port(config), client)
        for check in checks:
            mark, style = ("ok", "green") if check.ok else ("FAIL", "red")
            line = ui.Text.assemble((f"{mark:<5}", style), f"{check.label}: {check.detail}")
            if not check.ok and check.fix:
                line.append(f"  → run: {check.fix}", style="yellow")
            ui.out.print(line)
        failed = [c for c in checks if not c.ok]
        if failed:
            fixes = list(dict.fromkeys(c.fix for c in failed if c.fix))
            ui.fail(f"{len(failed)} check(s) failed; run: {' ; '.join(fixes) or 'kindplane up'}", EXIT_FAILED)
        ui.say("All checks passed.", "green")
