"""`kindplane up`, `down`, `preview`: validate, preflight, then drive the stack via the Engine."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

import typer

from ..ops import preflight

from ..core.errors import ConfigError
from ..core.naming import stack_owner
from . import ui
from .context import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CliContext
from .engine import Engine, EngineError, RegistryFate, ResourceStep
from .output import Format, emit, output_option
from .workspace import PROJECT, StackTarget

if TYPE_CHECKING:  # type hints only: pydantic and Rich's live display are slow to import
    from ..core.config import KindplaneConfig
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


def require_credentials(cli: CliContext, config: KindplaneConfig) -> None:
    """The variables mirrors name must be set before Pulumi starts: the program would refuse
    too, but only after the engine has started, under an "unhandled error" line."""
    import os

    from ..core.credentials import mirror_credentials

    try:
        mirror_credentials(config.cluster, os.environ, str(cli.config_path))
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
    too_old = preflight.pulumi_version_problem() or preflight.python_problem()
    if too_old:
        ui.fail(too_old, EXIT_FAILED)


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


def target(cli: CliContext) -> StackTarget:
    from .workspace import WorkspaceError

    try:
        return cli.target()
    except WorkspaceError as exc:
        ui.fail(str(exc), EXIT_USAGE)


def require_stack(engine: Engine) -> None:
    """down/preview never create a stack: a wrong -s must not print "Destroyed"."""
    with engine_errors():
        if not engine.exists():
            engine.outputs()  # raises NoSuchStack with the full explanation


def same_config_file(engine: Engine, stack: StackTarget) -> list[str]:
    """A stack last updated from another kindplane.yaml is that file's: never repoint it."""
    last = engine.last_config_file()
    if last is None or Path(last) == stack.config_path:
        return []
    return [
        f"stack {stack.stack} was last updated from {last}, not {stack.config_path}; "
        f"choose another stack for this file with -s, or run `kindplane -c {last} down` first"
    ]


def down_question(fate: Optional[RegistryFate], cluster: str, persistent_in_config: bool) -> str:
    what = f"kind cluster {cluster}"
    if fate is None:
        return f"Destroy {what}?"
    if fate.external:
        return f"Destroy {what}? (registry {fate.container} is external: shared, left running)"
    if fate.kept:
        where = f", images in volume {fate.volume}" if fate.volume else ""
        return f"Destroy {what}? (registry {fate.container} is kept: persistent mode{where})"
    note = ""
    if persistent_in_config:
        note = " (persistent: true in kindplane.yaml is not applied yet: run `kindplane up` first to keep it)"
    return f"Destroy {what} and DELETE registry {fate.container} with its images{note}?"


def registry_in_use(client: Any, fate: Optional[RegistryFate], cluster: str) -> Optional[str]:
    """A registry this down would delete while other clusters still pull through it."""
    if fate is None or fate.kept:
        return None
    from ..ops.registry_users import clusters_using_registry

    users = clusters_using_registry(client, fate.container, cluster)
    if not users:
        return None
    return (
        f"registry {fate.container} is also used by cluster {', '.join(users)} (its nodes' hosts.toml "
        f"pulls through it); down would delete it and its images under them. Remove those clusters "
        f"first, or make the registry persistent (persistent: true, then `kindplane up`), or run "
        f"`kindplane down --force` to delete it anyway"
    )


def converge(cli: CliContext, engine: Engine, stack: StackTarget, config: KindplaneConfig, client: Any) -> dict[str, Any]:
    """up's steps after validation: preflight against the state, refresh, up."""
    name = config.cluster.name
    problems = same_config_file(engine, stack)
    managed = engine.managed_clusters()  # pending creates of an interrupted run included
    half_made = bool(name in engine.pending_clusters() and preflight.kind_node_containers(client, name))
    problems += preflight.conflicts(config, client, managed, stack.stack, stack_owner(PROJECT, stack.stack))
    if problems:
        ui.fail(problems, EXIT_FAILED)
    nodes = preflight.kind_node_containers(client, name)
    # A cluster deleted by hand is still in the state (kind's create command has nothing to
    # refresh): ask for its replacement so `up` brings it back.
    replace_cluster = name in managed and not half_made and not nodes
    if replace_cluster:
        ui.warn(f"cluster {name} is in the stack but its nodes are gone; recreating it")
    elif name in managed and not half_made:
        # A refresh against a stopped cluster would drop the ConfigMap from the state.
        health = preflight.stopped_nodes_problem(name, nodes) or preflight.api_server_problem(
            name, engine.outputs().get("kubeconfig"))
        if health:
            ui.fail(health, EXIT_FAILED)
    if engine.exists():
        with progress(cli, "Refreshing state") as p:
            engine.refresh(p)  # takes the stack's lock: a concurrent up stops here, untouched
    if half_made:
        # Its create was cut off: nothing in the state can delete these nodes, and a new create
        # would meet them. They are this stack's own, so they go first.
        ui.warn(f"removing the half-made cluster {name} an interrupted up left behind")
        preflight.delete_kind_cluster(name)
    with progress(cli, "Creating / updating") as p:
        return engine.up(p, replace_cluster=replace_cluster)


def remove_half_made(engine: Engine, client: Any, name: str, had_nodes: bool) -> None:
    """After Ctrl-C: nodes this run's `kind create` made but Pulumi never recorded are removed.

    A cancelled create is not in the state, so nothing else would ever delete them, and the next
    up would take them for a cluster someone else made.
    """
    if had_nodes or not preflight.kind_node_containers(client, name):
        return
    with contextlib.suppress(EngineError, KeyboardInterrupt):
        if name in engine.managed_clusters():
            return  # recorded (done, or pending): the next up converges from the state
        ui.warn(f"removing the cluster {name} that the interrupted create left half-made")
        preflight.delete_kind_cluster(name)


def register(app: typer.Typer) -> None:
    @app.command()
    def up(ctx: typer.Context, output: Format = output_option()) -> None:
        """Create or converge the cluster and registry (validate, preflight, refresh, up)."""
        cli: CliContext = ctx.obj
        config = load(cli)
        require_credentials(cli, config)
        ui.config_warnings(cli.config_path, config.cluster)
        stack = target(cli)
        require_tools(cli)
        client = docker(cli)
        engine: Engine = cli.engine()
        with ui.messages_to_stderr(output is not Format.text):
            ui.say(f"Stack {stack.stack} · config {stack.config_path} · project {stack.project_dir} · Docker {preflight.docker_endpoint()}")
            had_nodes = bool(preflight.kind_node_containers(client, config.cluster.name))
            try:
                with engine_errors():
                    outputs = converge(cli, engine, stack, config, client)
            except KeyboardInterrupt:
                remove_half_made(engine, client, config.cluster.name, had_nodes)
                ui.fail(INTERRUPTED, EXIT_INTERRUPTED)
        from .summary import summary_data, summary_lines

        if output is not Format.text:
            emit({"stack": stack.stack, "configFile": str(stack.config_path), **summary_data(config, outputs)}, output)
            return
        ui.say("")
        for line in summary_lines(config, outputs):
            ui.say(line)

    @app.command()
    def down(
        ctx: typer.Context,
        force: bool = typer.Option(False, "--force", "-f", help="Do not ask for confirmation; delete a registry other clusters still use."),
    ) -> None:
        """Destroy the cluster and the registry (a persistent or external registry is kept).

        A non-persistent registry other running clusters pull through is not deleted unless --force.
        """
        cli: CliContext = ctx.obj
        config = load(cli)
        stack = target(cli)
        if not force and not cli.can_prompt():
            ui.fail("refusing to destroy without confirmation and there is no terminal to ask on; run `kindplane down --force`", EXIT_USAGE)
        require_tools(cli)
        client = docker(cli)
        engine = cli.engine()
        require_stack(engine)
        with engine_errors():
            fate = engine.registry_fate()
        in_use = None if force else registry_in_use(client, fate, config.cluster.name)
        if in_use:
            ui.fail(in_use, EXIT_FAILED)
        if not force and not typer.confirm(down_question(fate, config.cluster.name, config.cluster.registry.persistent), default=False):
            ui.say("Nothing was changed.")
            raise typer.Exit(EXIT_FAILED)
        with engine_errors():
            with progress(cli, "Refreshing state") as p:
                engine.refresh(p)
            with progress(cli, "Destroying") as p:
                engine.destroy(p)
        ui.say(f"Destroyed stack {stack.stack} (cluster {config.cluster.name}).", "green")
        if fate is not None and fate.external:
            ui.say(f"Registry {fate.container} is external (shared): left running, still on the kind network.")
        elif fate is not None and fate.kept:
            volume = f", images in volume {fate.volume}" if fate.volume else ""
            ui.say(f"{PRESERVED}: container {fate.container}{volume}")
        elif fate is not None:
            ui.say(f"Registry {fate.container} and its images were deleted.")

    @app.command()
    def preview(ctx: typer.Context, output: Format = output_option()) -> None:
        """Show what `up` would create, update, replace or delete, without changing anything."""
        cli: CliContext = ctx.obj
        require_credentials(cli, load(cli))
        target(cli)
        require_tools(cli, need_kind=False)
        engine = cli.engine()
        require_stack(engine)
        from .progress import shown

        planned: list[ResourceStep] = []

        def collect(step: ResourceStep) -> None:
            if step.phase == "start" and (cli.verbose or shown(step)):
                planned.append(step)

        with engine_errors():
            counts = engine.preview(collect)
        if output is not Format.text:
            steps = [{"op": step.op, "name": step.name, "type": step.type} for step in planned]
            emit({"stack": cli.target().stack, "steps": steps,
                  "counts": {op: counts.get(op, 0) for op in (*PLAN_OPS, "same")}}, output)
            return
        for step in planned:
            ui.say(f"{plan_symbol(step.op)} {step.op:<8} {step.name}  ({step.type})")
        ui.say(plan_line(counts))


PLAN_OPS = ("create", "update", "replace", "delete")


def plan_symbol(op: str) -> str:
    return {"create": "+", "update": "~", "replace": "+-", "delete": "-"}.get(op, " ")


def plan_line(counts: dict[str, int]) -> str:
    parts = [f"{counts.get(op, 0)} to {op}" for op in PLAN_OPS]
    return f"Plan: {', '.join(parts)}, {counts.get('same', 0)} unchanged"
