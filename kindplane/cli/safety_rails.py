"""What up and down check before they destroy anything: the plan, read and asked about; the
registries and mirrors other clusters pull through; the lock and the `kind` command a killed run
left behind."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from ..core.contract import PROJECT
from ..core.naming import stack_owner
from . import ui
from .context import EXIT_FAILED, CliContext
from .engine import Engine, OnStep, ResourceStep
from .state import RecordedWorld, RegistryFate
from .workspace import StackTarget

if TYPE_CHECKING:  # type hints only: pydantic is slow to import
    from docker import DockerClient

    from ..core.config import KindplaneConfig
    from .plan_check import Loss


def shared_in_use(
    client: DockerClient,
    doomed: list[tuple[str, str]],
    own_clusters: set[str],
    command: str,
    renamed: frozenset[str] = frozenset(),
) -> list[str]:
    """Registries and mirrors ("registry", name) this command would delete, re-create empty or
    rename (`renamed`: their data moves, but not the name other nodes pull through) while other
    clusters pull through them: one line each, naming those clusters and the flag that goes ahead
    anyway. `own_clusters`: every cluster this stack's state records."""
    if not doomed:
        return []
    from ..ops.registry.pulling_clusters import clusters_using_registry

    problems = []
    for role, name in doomed:
        users = clusters_using_registry(client, name, own_clusters)
        if not users:
            continue
        data = "its cache" if role == "mirror" else "its images"
        done = "delete it and" if command == "down" else "re-create it without"
        what = (
            "rename it (the name their nodes pull through goes) under them"
            if name in renamed
            else f"{done} {data} under them"
        )
        problems.append(
            f"{role} {name} is also used by cluster {', '.join(users)} (its nodes' hosts.toml pulls through it); "
            f"{command} would {what}. Remove those clusters first, or make the {role} "
            f"persistent (persistent: true, then `kindplane up`), or run `kindplane {command} --delete-shared` "
            f"to delete it anyway"
        )
    return problems


def deleted_by_down(fate: Optional[RegistryFate], mirrors: list[RegistryFate]) -> list[tuple[str, str]]:
    """Containers destroy deletes for real (not kept: persistent or read; not external)."""
    found = [("registry", fate)] if fate is not None else []
    found += [("mirror", mirror) for mirror in mirrors]
    return [(role, f.container) for role, f in found if not f.kept and not f.external]


def check_plan(
    cli: CliContext,
    engine: Engine,
    config: KindplaneConfig,
    client: DockerClient,
    replace_cluster: bool,
    own_clusters: set[str],
    yes: bool,
    delete_shared: bool,
    cluster_reason: Optional[str] = None,
    refresh: bool = False,
    changed: bool = True,
) -> set[str]:
    """Reads the plan; says what it re-creates on kept data, asks before anything is lost.
    `cluster_reason`: why the cluster is re-created when kindplane.yaml did not change (nodes gone).

    Returns the URNs the user agreed to (or that lose nothing), for the update's own check.
    """
    from ..core.contract import OUTPUT_APPLIED_SETTINGS
    from ..core.render.applied_settings import applied_settings
    from .plan_check import plan_losses

    planned: list[ResourceStep] = []
    why = (
        "kindplane.yaml or what kindplane renders changed since the last up"
        if changed
        else "Docker differs from the state"
    )
    ui.say(f"Reading the plan ({why})")
    engine.preview(planned.append, replace_cluster=replace_cluster, refresh=refresh)
    recorded = engine.recorded_outputs().get(OUTPUT_APPLIED_SETTINGS)
    losses = plan_losses(
        planned,
        recorded if isinstance(recorded, dict) else None,
        applied_settings(config.cluster),
        skip_cluster=replace_cluster,
        cluster_reason=cluster_reason,
    )
    for loss in losses:
        if not loss.lossy:
            ui.say(loss.message)
    lossy = [loss for loss in losses if loss.lossy]
    renamed = frozenset(x.name for x in losses if x.done == "renamed")
    doomed = [(x.role, x.name) for x in losses if x.pulled_through and (x.lossy or x.name in renamed)]
    shared = [] if delete_shared else shared_in_use(client, doomed, own_clusters, "up", renamed)
    if shared:
        ui.fail(shared, EXIT_FAILED)
    if lossy:
        for loss in lossy:
            ui.warn(f"warning: {loss.message}")
        if not yes and not cli.can_prompt():
            ui.fail(
                "up would destroy what is listed above and there is no terminal to ask on; nothing was changed. "
                "Run `kindplane up --yes` to go ahead, or undo the change in kindplane.yaml",
                EXIT_FAILED,
            )
        if not yes and not ui.confirm("Go ahead and lose this?"):
            ui.say("Nothing was changed.")
            raise typer.Exit(EXIT_FAILED)
    return {loss.urn for loss in losses}


def plan_is_unread(engine: Engine, config: KindplaneConfig, stack: StackTarget) -> bool:
    """Whether up must read the plan first: something this stack holds could be destroyed, and
    what decides that changed since the last up (or the state does not say)."""
    from ..core.contract import OUTPUT_FINGERPRINT
    from ..core.naming import BadEnvironment, kind_network
    from ..core.render.applied_settings import settings_fingerprint

    if not engine.exists() or not engine.has_resources():
        return False  # nothing to lose
    try:
        now = settings_fingerprint(config.cluster, stack_owner(PROJECT, stack.stack), kind_network())
    except BadEnvironment:
        return True  # the program refuses it with the reason; the preview shows that
    return engine.recorded_outputs().get(OUTPUT_FINGERPRINT) != now


def world_as_recorded(world: RecordedWorld, client: DockerClient, nodes: list[dict]) -> bool:
    """Docker shows what the last up left: every node running, every container of the state
    running under the ID the state has, every volume there, nothing pending. Then nothing can
    have drifted that the plan check would ask about, and up refreshes inside its update (one
    engine run); otherwise it refreshes first and reads the plan when the refresh found drift."""
    from ..ops.docker_lookup import inspect_container, inspect_volume

    if world.pending or not nodes or any(node.get("State") != "running" for node in nodes):
        return False
    for name, container_id in world.containers.items():
        attrs = inspect_container(client, name)
        if attrs is None or attrs.get("Id") != container_id or not (attrs.get("State") or {}).get("Running"):
            return False
    return all(inspect_volume(client, volume) is not None for volume in world.volumes)


def nothing_to_refresh(engine: Engine, client: DockerClient, clusters: set[str]) -> bool:
    """Whether a refresh before `down`'s destroy could find nothing: every cluster the state
    manages (`clusters`) has all its recorded nodes running and world_as_recorded holds. Then
    `down` destroys as the door's `pulumi destroy` does, without one; otherwise it refreshes
    first, so what was removed by hand is dropped from the state instead of deleted again."""
    from ..core.contract import OUTPUT_NODE_NAMES
    from ..ops import preflight

    nodes = [node for name in sorted(clusters) for node in preflight.kind_node_containers(client, name)]
    if not clusters or preflight.missing_nodes(engine.recorded_outputs().get(OUTPUT_NODE_NAMES), nodes):
        return False
    return world_as_recorded(engine.recorded_world(), client, nodes)


class DriftWatch:
    """Passes refresh steps on, noting whether the refresh found anything changed or gone."""

    def __init__(self, sink: OnStep):
        self.sink = sink
        self.drifted = False

    def __call__(self, step: ResourceStep) -> None:
        if step.phase == "done" and step.op in ("update", "delete"):
            self.drifted = True
        self.sink(step)


class UpdateWatch:
    """Passes the update's steps on and keeps them: any loss the plan check did not show is
    named afterwards (kindplane.yaml or Docker changed between the preview and the update)."""

    def __init__(self, sink: OnStep, agreed: Optional[set[str]] = None):
        self.sink = sink
        self.steps: list[ResourceStep] = []
        self.agreed = agreed or set()  # the losses the user agreed to before the update

    def __call__(self, step: ResourceStep) -> None:
        self.steps.append(step)
        self.sink(step)


def unasked_losses(
    steps: list[ResourceStep], config: KindplaneConfig, replace_cluster: bool, agreed: set[str]
) -> list[Loss]:
    from ..core.render.applied_settings import applied_settings
    from .plan_check import plan_losses

    losses = plan_losses(steps, None, applied_settings(config.cluster), skip_cluster=replace_cluster)
    return [loss for loss in losses if loss.lossy and loss.urn not in agreed]


def recover_from_killed_run(engine: Engine, clusters: set[str], project_dir: Optional[Path] = None) -> None:
    """A run killed outright (SIGKILL, OOM) leaves its lock, and its `kind` command may still be
    running: when the lock's process is gone, the lock goes, and this run waits for that command
    (it would otherwise meet, or on failure delete, this run's nodes). Pulumi's plugins and
    language host that a killed `pulumi` left running in the project's folder are ended."""
    from ..ops.kind_processes import wait_for_kind
    from ..ops.orphans import reap_orphans

    if project_dir is not None:
        ended = reap_orphans(project_dir)
        if ended:
            ui.warn(f"ended {len(ended)} Pulumi plugin processes a killed run left running")
    removed = engine.clear_stale_locks()
    for holder in removed:
        ui.warn(f"removed the stale lock of a killed run ({holder} no longer runs)")
    if not removed:
        return
    still = wait_for_kind(
        clusters, lambda p: ui.warn(f"waiting for {p.describe()}, which the killed run started, to finish")
    )
    if still:
        ui.fail(
            [
                f"{p.describe()} is still running after 10 minutes; stop it (kill {p.pid}) and run this again"
                for p in still
            ]
        )
