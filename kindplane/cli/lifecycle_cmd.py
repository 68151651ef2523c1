"""`kindplane up`, `down`, `preview`: validate, preflight, then drive the stack via the Engine."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from ..core.contract import OUTPUT_NODE_NAMES, PROJECT
from ..core.naming import stack_owner
from ..ops import preflight
from . import ui
from .command_steps import (
    docker,
    engine_errors,
    load,
    progress,
    require_credentials,
    require_kind_release,
    require_stack,
    require_tools,
    target,
)
from .context import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CliContext, cli_of
from .engine import Engine, EngineError, ResourceStep
from .output import Format, emit, output_option
from .safety_rails import (
    DriftWatch,
    UpdateWatch,
    check_plan,
    deleted_by_down,
    nothing_to_refresh,
    plan_is_unread,
    recover_from_killed_run,
    shared_in_use,
    unasked_losses,
    world_as_recorded,
)
from .state import RegistryFate
from .timings import Timings
from .workspace import StackTarget

if TYPE_CHECKING:  # type hints only: pydantic and Rich's live display are slow to import
    from docker import DockerClient

    from ..core.config import KindplaneConfig
    from .plan_check import Loss

INTERRUPTED = (
    "Interrupted. Pulumi recorded everything finished so far; run `kindplane up` again: it "
    "refreshes first and converges from there."
)
PRESERVED = "Local registry preserved (persistent mode)"


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


def converge(
    cli: CliContext,
    engine: Engine,
    stack: StackTarget,
    config: KindplaneConfig,
    client: DockerClient,
    yes: bool = False,
    delete_shared: bool = False,
    timings: Optional[Timings] = None,
    refresh: bool = False,
) -> dict[str, Any]:
    """up's steps after validation: preflight against the state, refresh, read the plan if it
    changed, up. Unless `refresh`, a state the read-back proves current ends there (verified_noop)."""
    name = config.cluster.name
    problems = same_config_file(engine, stack)
    managed = engine.managed_clusters()  # pending creates of an interrupted run included
    recover_from_killed_run(engine, managed | {name}, stack.project_dir)  # before anything looks at the nodes
    half_made = bool(name in engine.pending_clusters() and preflight.kind_node_containers(client, name))
    problems += preflight.conflicts(config, client, managed, stack.stack, stack_owner(PROJECT, stack.stack))
    if problems:
        ui.fail(problems, EXIT_FAILED)
    nodes = preflight.kind_node_containers(client, name)
    # A cluster deleted by hand is still in the state (kind's create command has nothing to
    # refresh): ask for its replacement so `up` brings it back.
    replace_cluster = name in managed and not half_made and not nodes
    missing: list[str] = []
    if replace_cluster:
        ui.warn(f"cluster {name} is in the stack but its nodes are gone; recreating it")
    elif name in managed and not half_made:
        # Some nodes removed by hand: kind cannot add them back, so the program re-creates the
        # cluster, which loses what runs on the others: the plan is read and asked about.
        missing = preflight.missing_nodes(engine.recorded_outputs().get(OUTPUT_NODE_NAMES), nodes)
        # A refresh against a stopped cluster would drop the ConfigMap from the state.
        health = preflight.stopped_nodes_problem(name, nodes) or (
            None if missing else preflight.api_server_problem(name, engine.outputs().get("kubeconfig"))
        )
        if health:
            ui.fail(health, EXIT_FAILED)
    cluster_reason = f"{', '.join(missing)} removed outside kindplane" if missing else None
    unread = plan_is_unread(engine, config, stack) or bool(missing)  # from the state as the last up left it
    # A state with nothing in it (after a down) and nothing pending: no refresh, no plan, one run.
    exists = engine.exists() and (engine.has_resources() or engine.recorded_world().pending)
    timings = timings or Timings()
    # Nothing changed and Docker shows what the state records: one engine run, no plan to read.
    # Docker shows what the state records (nothing removed, stopped or pending by hand).
    as_recorded = bool(exists and nodes and world_as_recorded(engine.recorded_world(), client, nodes))
    unchanged = as_recorded and not unread and not replace_cluster and not half_made
    timings.lap("checks")
    if unchanged and not refresh:
        from .verified_noop import nothing_to_do

        current = nothing_to_do(engine, config.cluster, client)
        timings.lap("read-back")
        if current is not None:
            ui.say("Nothing to do: Docker, every node's wiring and the ConfigMap are as the state records.")
            return current
    if unchanged:
        with progress(cli, "Refreshing and updating") as p:
            watch = UpdateWatch(p)
            outputs = engine.up(watch, refresh=True)  # it takes the stack's lock
        timings.lap("refresh+update")
    else:
        outputs, watch = refresh_check_and_update(
            cli,
            engine,
            config,
            client,
            exists,
            unread,
            replace_cluster,
            half_made,
            managed | {name},
            yes,
            delete_shared,
            timings,
            cluster_reason,
            as_recorded,
        )
    agreed = watch.agreed
    for loss in unasked_losses(watch.steps, config, replace_cluster, agreed):
        ui.warn(
            f"warning: {loss.what} was {loss.done} by this update although no plan read before it showed that "
            f"(kindplane.yaml or Docker changed while up ran)"
        )
    return outputs


def refresh_check_and_update(
    cli: CliContext,
    engine: Engine,
    config: KindplaneConfig,
    client: DockerClient,
    exists: bool,
    unread: bool,
    replace_cluster: bool,
    half_made: bool,
    clusters: set[str],
    yes: bool,
    delete_shared: bool,
    timings: Timings,
    cluster_reason: Optional[str] = None,
    as_recorded: bool = False,
) -> tuple[dict[str, Any], UpdateWatch]:
    """When Docker shows what the state records and only kindplane.yaml changed: the plan on the
    refreshed state (asked about when it loses something), then up — two engine runs. Otherwise
    the refresh comes first on its own and is saved: the program then reads the refreshed state
    (a container removed by hand is gone from it, not refused), pending creates of an interrupted
    run are cleared, and the stack's lock is taken before anything half-made is removed (a
    concurrent run stops there, untouched)."""
    name = config.cluster.name
    agreed: set[str] = set()
    folded = exists and as_recorded and not half_made
    if exists and not folded:
        drift = DriftWatch(lambda step: None)
        with progress(cli, "Refreshing state") as p:
            drift.sink = p
            engine.refresh(drift)
        timings.lap("refresh")
        if unread or drift.drifted:
            agreed = check_plan(
                cli, engine, config, client, replace_cluster, clusters, yes, delete_shared, cluster_reason
            )
            timings.lap("plan")
    elif exists:
        agreed = check_plan(
            cli,
            engine,
            config,
            client,
            replace_cluster,
            clusters,
            yes,
            delete_shared,
            cluster_reason,
            refresh=True,
            changed=unread,
        )
        timings.lap("refresh+plan")
    if half_made:
        # Its create was cut off: nothing in the state can delete these nodes, and a new create
        # would meet them. They are this stack's own, so they go first.
        ui.warn(f"removing the half-made cluster {name} an interrupted up left behind")
        preflight.delete_kind_cluster(name)
    with progress(cli, "Creating / updating") as p:
        watch = UpdateWatch(p, agreed)
        # Refreshed again in the run that applies: what changed since the plan is not missed.
        outputs = engine.up(watch, replace_cluster=replace_cluster, refresh=folded)
    timings.lap("update")
    return outputs, watch


def remove_half_made(engine: Engine, client: DockerClient, name: str, had_nodes: bool) -> None:
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


YES_HELP = "Go ahead without asking when the plan re-creates or deletes the cluster, the registry or a mirror."
REFRESH_HELP = (
    "Run the engine (refresh and update) even when kindplane's read-back finds everything as the state records."
)
DELETE_SHARED_HELP = "Also delete (or re-create empty) a registry or mirror other kind clusters still pull through."


def up(
    ctx: typer.Context,
    output: Format = output_option(),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
    delete_shared: bool = typer.Option(False, "--delete-shared", help=DELETE_SHARED_HELP),
    refresh: bool = typer.Option(False, "--refresh", help=REFRESH_HELP),
) -> None:
    """Create or converge the cluster and registry (validate, preflight, refresh, up).

    When kindplane.yaml changed since the last up, the plan is read first: anything it would
    destroy is listed with the reason, and up asks (--yes answers yes; without a terminal it
    refuses and changes nothing).
    """
    cli = cli_of(ctx)
    timings = Timings()
    config = load(cli)
    require_credentials(cli, config)
    ui.config_warnings(cli.config_path, config.cluster)
    stack = target(cli)
    require_tools(cli)
    require_kind_release(config)
    client = docker(cli)
    engine: Engine = cli.engine()
    with ui.messages_to_stderr(output is not Format.text):
        ui.say(
            f"Stack {stack.stack} · config {stack.config_path} · project {stack.project_dir} · Docker "
            f"{preflight.docker_endpoint()}"
        )
        had_nodes = bool(preflight.kind_node_containers(client, config.cluster.name))
        try:
            with engine_errors():
                outputs = converge(cli, engine, stack, config, client, yes, delete_shared, timings, refresh)
        except KeyboardInterrupt:
            remove_half_made(engine, client, config.cluster.name, had_nodes)
            ui.fail(INTERRUPTED, EXIT_INTERRUPTED)
        from .registry_disk_cmd import enforce_mirror_caps

        enforce_mirror_caps(config)  # mirrors' maxSize
        if config.cluster.mirrors:
            timings.lap("mirror caps")
    from .summary import summary_data, summary_lines

    if output is not Format.text:
        emit(
            {
                "stack": stack.stack,
                "configFile": str(stack.config_path),
                **summary_data(config, outputs),
                "timings": timings.as_dict(),
            },
            output,
        )
        return
    ui.say("")
    for line in summary_lines(config, outputs) + [""] + timings.lines(cli.verbose):
        ui.say(line)


def down(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", "-f", help="Do not ask for confirmation."),
    delete_shared: bool = typer.Option(False, "--delete-shared", help=DELETE_SHARED_HELP),
) -> None:
    """Destroy the cluster and the registry (a persistent or external registry is kept).

    A non-persistent registry (or mirror) other running clusters pull through is not deleted
    unless --delete-shared, with or without --force.
    """
    cli = cli_of(ctx)
    config = load(cli)
    stack = target(cli)
    if not force and not cli.can_prompt():
        ui.fail(
            "refusing to destroy without confirmation and there is no terminal to ask on; run `kindplane down --force`",
            EXIT_USAGE,
        )
    require_tools(cli)
    client = docker(cli)
    engine = cli.engine()
    require_stack(engine)
    with engine_errors():
        fate = engine.registry_fate()
        mirrors = engine.mirror_fates()
        managed = engine.managed_clusters()
        own = managed | {config.cluster.name}
    in_use = [] if delete_shared else shared_in_use(client, deleted_by_down(fate, mirrors), own, "down")
    if in_use:
        ui.fail(in_use, EXIT_FAILED)
    if not force and not typer.confirm(
        down_question(fate, config.cluster.name, config.cluster.registry.persistent), default=False
    ):
        ui.say("Nothing was changed.")
        raise typer.Exit(EXIT_FAILED)
    with engine_errors():
        recover_from_killed_run(engine, own, stack.project_dir)
        refresh = not nothing_to_refresh(engine, client, managed)
        with progress(cli, "Refreshing and destroying" if refresh else "Destroying") as p:
            engine.destroy(p, refresh=refresh)  # one engine run
    ui.say(f"Destroyed stack {stack.stack} (cluster {config.cluster.name}).", "green")
    if fate is not None and fate.external:
        ui.say(f"Registry {fate.container} is external (shared): left running, still on the kind network.")
    elif fate is not None and fate.kept:
        volume = f", images in volume {fate.volume}" if fate.volume else ""
        ui.say(f"{PRESERVED}: container {fate.container}{volume}")
    elif fate is not None:
        ui.say(f"Registry {fate.container} and its images were deleted.")


def preview(ctx: typer.Context, output: Format = output_option()) -> None:
    """Show what `up` would create, update, replace or delete, without changing anything.

    Steps that lose something (the cluster's workloads, the registry's images, a mirror's
    cache) are marked with `!` and the reason.
    """
    cli = cli_of(ctx)
    config = load(cli)
    require_credentials(cli, config)
    target(cli)
    require_tools(cli, need_kind=False)
    engine = cli.engine()
    require_stack(engine)
    from ..core.contract import OUTPUT_APPLIED_SETTINGS
    from ..core.render.applied_settings import applied_settings
    from .plan_check import plan_losses
    from .progress import shown

    everything: list[ResourceStep] = []
    with engine_errors():
        counts = engine.preview(everything.append)
        recorded = engine.recorded_outputs().get(OUTPUT_APPLIED_SETTINGS)
    planned = [s for s in everything if s.phase == "start" and (cli.verbose or shown(s))]
    old = recorded if isinstance(recorded, dict) else None
    losses = plan_losses(everything, old, applied_settings(config.cluster))
    loss_of = {loss.urn: loss for loss in losses}
    drift = list(dict.fromkeys(s.name for s in everything if s.phase == "note"))  # changed by hand
    if output is not Format.text:
        steps = [{"op": s.op, "name": s.name, "type": s.type, **step_loss(loss_of.get(s.urn))} for s in planned]
        emit(
            {
                "stack": cli.target().stack,
                "drift": drift,
                "steps": steps,
                "counts": {op: counts.get(op, 0) for op in (*PLAN_OPS, "same")},
            },
            output,
        )
        return
    for line in drift:
        ui.say(f"~ {line}", "yellow")
    for s in planned:
        ui.say(f"{plan_symbol(s.op)} {s.op:<8} {s.name}  ({s.type})")
    ui.say(plan_line(counts))
    for loss in losses:
        ui.say(f"{'!' if loss.lossy else '~'} {loss.message}", "red" if loss.lossy else "")


def step_loss(loss: Optional[Loss]) -> dict[str, Any]:
    """`preview -o json`: what a step loses, when it loses anything."""
    if loss is None:
        return {}
    return {"loses": loss.message} if loss.lossy else {"keeps": loss.message}


PLAN_OPS = ("create", "update", "replace", "delete")


def plan_symbol(op: str) -> str:
    return {"create": "+", "update": "~", "replace": "+-", "delete": "-"}.get(op, " ")


def plan_line(counts: dict[str, int]) -> str:
    parts = [f"{counts.get(op, 0)} to {op}" for op in PLAN_OPS]
    return f"Plan: {', '.join(parts)}, {counts.get('same', 0)} unchanged"


def register(app: typer.Typer) -> None:
    """Adds `up`, `down`, `preview` to the root Typer app."""
    app.command("up")(up)
    app.command("down")(down)
    app.command("preview")(preview)
