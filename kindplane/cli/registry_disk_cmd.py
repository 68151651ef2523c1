"""`kindplane registry du|prune`: how much the local registry and each mirror store, and bounding it.

Both read the storage inside the containers (ops/registry/storage_scan.py), so they see what the API
hides: untagged manifests, blobs gc would free, and a mirror's cache (which has no host port).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer

from . import ui
from .context import EXIT_USAGE, cli_of
from .live_registry import live_config
from .output import Format, emit, output_option

if TYPE_CHECKING:
    from ..core.config import KindplaneConfig
    from ..ops.registry.config_stores import Inspected, PruneResult, Store
    from ..ops.registry.pod_images import ImageUse


def _size(size: Optional[int]) -> str:
    from rich.filesize import decimal

    return "?" if size is None else decimal(size)


def _selected(ctx: typer.Context, config: KindplaneConfig, only: Optional[str]) -> list[Store]:
    from ..ops.registry.config_stores import stores

    found = stores(config)
    if not found:
        ui.fail(
            f"{cli_of(ctx).config_path} has no local registry (cluster.registry.enabled) and no mirrors "
            "(cluster.mirrors)"
        )
    if only is None:
        return found
    chosen = [s for s in found if s.name == only]
    if not chosen:
        ui.fail(
            f"no registry or mirror named {only!r} in this config; choose one of: {', '.join(s.name for s in found)}",
            EXIT_USAGE,
        )
    return chosen


def _inspect(store: Store) -> Inspected:
    from ..ops.docker_lookup import DockerUnavailable
    from ..ops.registry.config_stores import inspect_store
    from ..ops.registry.push_gc import OpsError
    from ..ops.registry.storage_scan import StorageError

    try:
        return inspect_store(store)
    except (OpsError, StorageError, DockerUnavailable) as exc:
        ui.fail(str(exc))


def _version(inspected: Inspected) -> str:
    version = inspected.container.version
    return f"distribution {version}" if version else "distribution version unknown"


# --- du ----------------------------------------------------------------------------------------


def du(
    ctx: typer.Context,
    only: Optional[str] = typer.Argument(
        None, metavar="[NAME]", help="Only this registry or mirror (its container name)."
    ),
    output: Format = output_option(),
) -> None:
    """Bytes per repository of the local registry and each mirror, shared layers counted once."""
    config = live_config(ctx)
    inspected = [_inspect(store) for store in _selected(ctx, config, only)]
    if output is not Format.text:
        emit(
            {
                "stores": [
                    {
                        **i.store.as_dict(),
                        "version": str(i.container.version or "") or None,
                        "onDisk": i.on_disk,
                        **i.usage().as_dict(),
                    }
                    for i in inspected
                ]
            },
            output,
        )
        return
    for number, item in enumerate(inspected):
        if number:
            ui.say("")
        _print_usage(item)


def _print_usage(item: Inspected) -> None:
    usage = item.usage()
    store = item.store
    cap = f", maxSize {_size(store.max_size)}" if store.max_size else ""
    ui.say(f"{store.role} {store.name} ({store.title}; {_version(item)}{cap})", "bold")
    if not usage.repositories:
        ui.say("  empty")
    else:
        width = max(len(r.name) for r in usage.repositories)
        ui.say(
            f"  {'REPOSITORY':<{width}}  {'TAGS':>4}  {'MANIFESTS':>9}  {'SIZE':>9}  {'SHARED':>9}  {'UNIQUE':>9}",
            "dim",
        )
        for repo in usage.repositories:
            ui.say(
                f"  {repo.name:<{width}}  {repo.tags:>4}  {repo.manifests:>9}  {_size(repo.size):>9}  "
                f"{_size(repo.shared):>9}  {_size(repo.unique):>9}"
            )
    ui.say(
        f"  in use {_size(usage.referenced)} (shared layers once) · unreferenced {_size(usage.unreferenced)} "
        f"(`kindplane registry gc` frees it) · on disk {_size(item.on_disk)}"
    )


# --- prune -------------------------------------------------------------------------------------


def prune(
    ctx: typer.Context,
    keep: Optional[int] = typer.Option(
        None, "--keep", min=0, help="Keep the N most recently pushed tags of each repository."
    ),
    keep_younger: Optional[str] = typer.Option(
        None, "--keep-younger-than", metavar="DURATION", help="Keep tags pushed within DURATION (90m, 36h, 7d, 2w)."
    ),
    max_size: Optional[str] = typer.Option(
        None,
        "--max-size",
        metavar="SIZE",
        help="Then remove least recently used images until SIZE (10GB, 8GiB) is left.",
    ),
    only: Optional[str] = typer.Option(
        None, "--only", metavar="NAME", help="Only this registry or mirror (container name)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="List what would go and the bytes gc would free; change nothing."
    ),
    force: bool = typer.Option(
        False, "--force", help="Also remove images that unfinished pods use, and prune when pods cannot be read."
    ),
    output: Format = output_option(),
) -> None:
    """Remove old tags and manifests (and, over a mirror's maxSize, least recently used images), then gc.

    The rules apply to every registry of the config (or --only one); a mirror's maxSize from
    kindplane.yaml applies unless --max-size is given.
    """
    from ..core.units import parse_duration, parse_size
    from ..ops.registry.prune_plan import Retention

    younger = _parsed(parse_duration, keep_younger, "--keep-younger-than")
    cap = _parsed(parse_size, max_size, "--max-size")
    config = live_config(ctx)
    chosen = _selected(ctx, config, only)
    rules = {s.name: Retention(keep, younger, cap if cap is not None else s.max_size) for s in chosen}
    rules = {name: r for name, r in rules.items() if not r.is_empty}
    if not rules:
        ui.fail(
            "nothing to prune by: give --keep N, --keep-younger-than DURATION or --max-size SIZE "
            "(or set maxSize on a mirror in kindplane.yaml)",
            EXIT_USAGE,
        )
    with ui.messages_to_stderr(output is not Format.text):
        uses = _pods_in_use(config, force, dry_run)
        results = _prune_all([s for s in chosen if s.name in rules], rules, uses, force, dry_run)
    if output is not Format.text:
        emit({"dryRun": dry_run, "stores": [_result_dict(r) for r in results]}, output)
        return
    for number, result in enumerate(results):
        if number:
            ui.say("")
        _print_result(result, dry_run)


def _parsed(parse, value: Optional[str], option: str) -> Optional[int]:
    try:
        return None if value is None else parse(value)
    except ValueError as exc:
        ui.fail(f"{option} {exc}", EXIT_USAGE)


def _pods_in_use(config: KindplaneConfig, force: bool, dry_run: bool) -> Optional[list[ImageUse]]:
    """The images unfinished pods use; refuses (exit 1) when they cannot be read, unless forced."""
    from ..ops.registry.pod_images import PodsUnknown, images_of_pods, read_pods

    if force:
        return None
    try:
        pods = read_pods(config.cluster.name)
    except PodsUnknown as exc:
        if dry_run:
            ui.warn(f"warning: cannot tell which images pods use ({exc}); a real prune refuses without --force")
            return []
        ui.fail(f"cannot tell which images pods use: {exc}. Start the cluster, or prune anyway with --force")
    return [] if pods is None else images_of_pods(pods)


def _prune_all(
    chosen: list[Store], rules: dict, uses: Optional[list[ImageUse]], force: bool, dry_run: bool
) -> list[PruneResult]:
    from ..ops.docker_lookup import DockerUnavailable
    from ..ops.registry.config_stores import prune_store
    from ..ops.registry.push_gc import OpsError
    from ..ops.registry.storage_scan import StorageError

    results = []
    for store in chosen:
        inspected = _inspect(store)
        try:
            results.append(prune_store(inspected, rules[store.name], uses, force, dry_run))
        except (OpsError, StorageError, DockerUnavailable) as exc:
            ui.fail(f"{store.name}: {exc}")
    return results


def _result_dict(result: PruneResult) -> dict:
    data = {**result.inspected.store.as_dict(), **result.plan.as_dict()}
    if result.gc is not None:
        data.update({"before": result.gc.before, "after": result.gc.after, "reclaimed": result.gc.reclaimed})
    return data


def _print_result(result: PruneResult, dry_run: bool) -> None:
    store, plan = result.inspected.store, result.plan
    ui.say(f"{store.role} {store.name} ({store.title}; {_version(result.inspected)})", "bold")
    verb = "would remove" if dry_run else "removed"
    for removal in plan.removals:
        what = (
            ", ".join(f"{removal.repository}:{t}" for t in removal.tags)
            or f"{removal.repository}@{removal.digest[:19]}"
        )
        extra = f" +{len(removal.children)} platform manifests" if removal.children else ""
        ui.say(f"  {verb} {what}{extra}  ({removal.reason})")
    for kept in plan.protected:
        ui.say(f"  kept {kept.repository}:{kept.reference}  (in use by pod {kept.pod}; --force removes it)", "yellow")
    if not plan.removals:
        ui.say("  nothing to remove")
    if dry_run:
        ui.say(f"  gc would then free {_size(plan.frees)}: {_size(plan.size_before)} in use → {_size(plan.size_after)}")
    elif result.gc is not None:
        ui.out.print(
            ui.Text("  ✓ ", style="green")
            + ui.Text(
                f"reclaimed {_size(result.gc.reclaimed)} ({_size(result.gc.before)} → {_size(result.gc.after)} on disk)"
            )
        )


def register(app: typer.Typer) -> None:
    app.command("du")(du)
    app.command("prune")(prune)


def enforce_mirror_caps(config: KindplaneConfig) -> None:
    """After `up`: each mirror over its maxSize loses its least recently used images (one line each).

    Never fails `up`: a cap that cannot be enforced now is a warning, and `registry prune` retries.
    """
    from ..ops.docker_lookup import DockerUnavailable
    from ..ops.registry.config_stores import inspect_store, prune_store, stores
    from ..ops.registry.pod_images import PodsUnknown, images_of_pods, read_pods
    from ..ops.registry.prune_plan import Retention
    from ..ops.registry.push_gc import OpsError
    from ..ops.registry.storage_scan import StorageError

    capped = [s for s in stores(config) if s.role == "mirror" and s.max_size]
    if not capped:
        return
    try:
        pods = read_pods(config.cluster.name)
    except PodsUnknown as exc:
        ui.warn(
            f"warning: mirror maxSize not enforced: cannot tell which images pods use ({exc}); "
            f"`kindplane registry prune` enforces it"
        )
        return
    uses = [] if pods is None else images_of_pods(pods)
    for store in capped:
        try:
            inspected = inspect_store(store)
            if inspected.usage().referenced <= (store.max_size or 0):
                continue
            result = prune_store(inspected, Retention(max_size=store.max_size), uses, force=False, dry_run=False)
        except (OpsError, StorageError, DockerUnavailable) as exc:
            ui.warn(f"warning: mirror {store.name}: maxSize not enforced: {exc}")
            continue
        reclaimed = _size(result.gc.reclaimed) if result.gc else "0 B"
        ui.say(
            f"Mirror {store.name} was over maxSize {_size(store.max_size)}: removed "
            f"{len(result.plan.removals)} least recently used image(s), reclaimed {reclaimed}"
        )
