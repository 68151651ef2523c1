"""`kindplane up`, `down`, `preview`: validate, preflight, then drive the stack via the Engine."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator

import typer

from .. import preflight
from ..errors import ConfigError
from ..naming import registry_volume_name
from . import ui
from .context import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CliContext
from .engine import Engine, EngineError, ResourceStep

if TYPE_CHECKING:  # type hints only: pydantic and Rich's live display are slow to import
    from ..config import KindplaneConfig
    from .progress import Progress

INTERRUPTED = (
    "Interrupted. Pulumi recorded everything finished so far; run `kindplane up` again: it "
    "refreshes first and converges from there."
)
PRESERVED = "Local registry preserved (persistent mode)"


def load(cli: CliContext) -> KindplaneConfig:
    try:
        return cli.load()
    except ConfigError as exc:
        ui.config_failed(exc)


def require_tools(cli: CliContext, need_kind: bool = True) -> None:
    """Missing kind/Pulumi: offer `kindplane setup` on a terminal, else one line each and exit 1."""
    problems = preflight.missing_tools(need_kind=need_kind)
    if problems and cli.can_prompt():
        for line in problems:
            ui.warn(line)
        if typer.confirm("Install the missing tools now (kindplane setup)?", default=True):
            from .setup_cmd import run_setup

            problems = run_setup() or preflight.missing_tools(need_kind=need_kind)
    if problems:
        ui.fail(problems, EXIT_FAILED)


def docker(cli: CliContext) -> Any:
    try:
        return preflight.connect_docker()
    except preflight.PreflightFailed as exc:
        ui.fail(exc.problems, EXIT_FAILED)


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    """EngineError subclasses already carry plain words (lock held, program refused, …)."""
    try:
        yield
    except EngineError as exc:
        ui.fail(str(exc).splitlines() or [exc.__class__.__name__], EXIT_FAILED)


def progress(cli: CliContext, title: str) -> Progress:
    from .progress import Progress

    return Progress(ui.out, title, everything=cli.verbose)


def register(app: typer.Typer) -> None:
    @app.command()
    def up(ctx: typer.Context) -> None:
        """Create or converge the cluster and registry (validate, preflight, refresh, up)."""
        cli: CliContext = ctx.obj
        config = load(cli)
        require_tools(cli)
        client = docker(cli)
        engine: Engine = cli.engine(config)
        name = config.cluster.name
        with engine_errors():
            managed = engine.managed_clusters()
            problems = preflight.conflicts(config, client, managed, cli.stack_name(config))
            if problems:
                ui.fail(problems, EXIT_FAILED)
            # A cluster deleted by hand is still in the state (kind's create command has nothing
            # to refresh): ask for its replacement so `up` brings it back.
            replace_cluster = name in managed and not preflight.kind_node_containers(client, name)
            if replace_cluster:
                ui.warn(f"cluster {name} is in the stack but its nodes are gone; recreating it")
            try:
                with progress(cli, "Refreshing state") as p:
                    engine.refresh(p)
                with progress(cli, "Creating / updating") as p:
                    outputs = engine.up(p, replace_cluster=replace_cluster)
            except KeyboardInterrupt:
                ui.fail(INTERRUPTED, EXIT_INTERRUPTED)
        from .summary import summary_lines

        ui.say("")
        for line in summary_lines(config, outputs):
            ui.say(line)

    @app.command()
    def down(
        ctx: typer.Context,
        force: bool = typer.Option(False, "--force", "-f", help="Do not ask for confirmation."),
    ) -> None:
        """Destroy the cluster and the registry (a persistent registry is kept)."""
        cli: CliContext = ctx.obj
        config = load(cli)
        registry = config.cluster.registry
        if not force:
            if not cli.can_prompt():
                ui.fail("refusing to destroy without confirmation and there is no terminal to ask on; run `kindplane down --force`", EXIT_USAGE)
            what = f"kind cluster {config.cluster.name}"
            if registry.enabled:
                what += f" and registry {registry.name}" if not registry.persistent else f" (registry {registry.name} is kept: persistent mode)"
            if not typer.confirm(f"Destroy {what}?", default=False):
                ui.say("Nothing was changed.")
                raise typer.Exit(EXIT_FAILED)
        require_tools(cli)
        docker(cli)
        engine = cli.engine(config)
        with engine_errors():
            with progress(cli, "Refreshing state") as p:
                engine.refresh(p)
            with progress(cli, "Destroying") as p:
                engine.destroy(p)
        ui.say(f"Destroyed stack {cli.stack_name(config)} (cluster {config.cluster.name}).", "green")
        if registry.enabled and registry.persistent:
            ui.say(f"{PRESERVED}: container {registry.name}, images in volume {registry_volume_name(registry)}")

    @app.command()
    def preview(ctx: typer.Context) -> None:
        """Show what `up` would create, update, replace or delete, without changing anything."""
        cli: CliContext = ctx.obj
        config = load(cli)
        require_tools(cli, need_kind=False)
        engine = cli.engine(config)
        from .progress import shown

        planned: list[ResourceStep] = []

        def collect(step: ResourceStep) -> None:
            if step.phase == "start" and (cli.verbose or shown(step)):
                planned.append(step)

        with engine_errors():
            counts = engine.preview(collect)
        for step in planned:
            ui.say(f"{plan_symbol(step.op)} {step.op:<8} {step.name}  ({step.type})")
        ui.say(plan_line(counts))


PLAN_OPS = ("create", "update", "replace", "delete")


def plan_symbol(op: str) -> str:
    return {"create": "+", "update": "~", "replace": "+-", "delete": "-"}.get(op, " ")


def plan_line(counts: dict[str, int]) -> str:
    parts = [f"{counts.get(op, 0)} to {op}" for op in PLAN_OPS]
    return f"Plan: {', '.join(parts)}, {counts.get('same', 0)} unchanged"
