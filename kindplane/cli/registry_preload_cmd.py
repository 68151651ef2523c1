"""`kindplane registry preload [FILE] [--from-cluster]`: warm the mirrors with a list of images."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from . import ui
from .context import EXIT_USAGE
from .live_registry import live_config, registry_login
from .output import Format, emit, output_option

if TYPE_CHECKING:
    from ..core.config import KindplaneConfig
    from ..ops.registry.config_stores import Store
    from ..ops.registry.mirror_preload import Outcome, Wanted


def preload(
    ctx: typer.Context,
    file: Optional[Path] = typer.Argument(None, metavar="[FILE]", help="Images, one per line (# comments)."),
    from_cluster: bool = typer.Option(False, "--from-cluster", help="Also every image the cluster's pods name."),
    output: Format = output_option(),
) -> None:
    """Pull images through the mirrors into their caches, so the next fresh cluster needs no network.

    Blobs a mirror already has are not fetched again: run it again after an interruption and it
    goes on where it stopped. Exit 1 when any image failed (each is named), 2 for a bad list.
    """
    config = live_config(ctx)
    if file is None and not from_cluster:
        ui.fail("name a FILE of images, or use --from-cluster", EXIT_USAGE)
    wanted = _wanted(config, file, from_cluster)
    with ui.messages_to_stderr(output is not Format.text):
        outcomes = _run(config, wanted, output is Format.text, registry_login(ctx, config))
    failed = [o for o in outcomes if o.error]
    if output is not Format.text:
        emit({"images": [o.as_dict() for o in outcomes], "failed": len(failed)}, output)
    else:
        _summary(outcomes)
    if failed:
        raise typer.Exit(1)


def _wanted(config: KindplaneConfig, file: Optional[Path], from_cluster: bool) -> list[Wanted]:
    from ..ops.registry.mirror_preload import from_pods, parse_list
    from ..ops.registry.pod_images import PodsUnknown, read_pods

    wanted: list[Wanted] = []
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            ui.fail(f"cannot read {file}: {exc.strerror}", EXIT_USAGE)
        wanted, problems = parse_list(text)
        if problems:
            ui.fail([f"{file}:{p.line}: {p.text!r} is {p.message}" for p in problems], EXIT_USAGE)
    if from_cluster:
        try:
            wanted += from_pods(read_pods(config.cluster.name))
        except PodsUnknown as exc:
            ui.fail(f"cannot read the cluster's pods: {exc}")
    return wanted


def _run(
    config: KindplaneConfig, wanted: list[Wanted], bar: bool, login: Optional[tuple[str, str]] = None
) -> list[Outcome]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from ..ops.registry.config_stores import stores

    known = stores(config)
    outcomes: list[Outcome] = []
    fetchers: dict[str, object] = {}
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn()]
    with Progress(*columns, console=ui.out, transient=False, disable=not bar or not ui.out.is_terminal) as progress:
        for item in wanted:
            task = progress.add_task(item.text, total=None)

            def report(advance: int, total: Optional[int], task=task) -> None:
                if total is None:
                    progress.update(task, advance=advance)
                else:
                    progress.update(task, advance=advance, total=total)

            outcome = _one(item, known, fetchers, report, login)
            outcomes.append(outcome)
            if not ui.out.is_terminal or not bar:
                _line(outcome)
    return outcomes


def _one(item: Wanted, known: list[Store], fetchers: dict, report, login: Optional[tuple[str, str]]) -> Outcome:
    from ..ops.docker_lookup import DockerUnavailable
    from ..ops.registry.config_stores import inspect_store
    from ..ops.registry.mirror_preload import MirrorFetcher, Outcome, PreloadError, preload_through_mirror, store_for
    from ..ops.registry.push_gc import OpsError
    from ..ops.registry.storage_scan import StorageError

    store = store_for(item, known)
    if store is None:
        hosts = ", ".join(h for s in known for h in s.hosts) or "none"
        return Outcome(
            item,
            error=f"no mirror or registry of this config serves {item.host} (served: {hosts}); "
            f"add a mirror with host: {item.host}",
        )
    if store.role == "registry":
        return _in_registry(item, store, login)
    try:
        if store.name not in fetchers:
            inspected = inspect_store(store)
            code, arch = inspected.container.run(["uname", "-m"])
            from ..ops.registry.mirror_preload import ARCHITECTURES

            fetchers[store.name] = MirrorFetcher(
                inspected.container, inspected.storage, ARCHITECTURES.get(arch.strip(), "amd64")
            )
        outcome = preload_through_mirror(fetchers[store.name], item, report)
    except (PreloadError, OpsError, StorageError, DockerUnavailable) as exc:
        return Outcome(item, store=store.name, error=str(exc))
    outcome.store = store.name
    return outcome


def _in_registry(item: Wanted, store: Store, login: Optional[tuple[str, str]]) -> Outcome:
    """The local registry is where nodes pull these from already: only check it has them."""
    from ..ops.registry.http_api import RegistryClient, RegistryError
    from ..ops.registry.mirror_preload import Outcome

    host = store.hosts[0]  # the registry's host address, at its live port
    try:
        with RegistryClient(host, auth=login) as client:
            manifest = client.manifest(item.repository, item.reference)
    except RegistryError as exc:
        return Outcome(item, store=store.name, error=f"{exc}; push it with `kindplane registry push`")
    return Outcome(item, store=store.name, digest=manifest.digest, cached=manifest.size or 0)


def _size(size: int) -> str:
    from rich.filesize import decimal

    return decimal(size)


def _line(outcome: Outcome) -> None:
    if outcome.error:
        ui.err.print(ui.Text(f"✗ {outcome.wanted.text}: {outcome.error}", style="red"))
    else:
        ui.out.print(
            ui.Text("✓ ", style="green")
            + ui.Text(
                f"{outcome.wanted.text} in {outcome.store}: fetched {_size(outcome.fetched)}, "
                f"{_size(outcome.cached)} already cached"
            )
        )


def _summary(outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if o.error]
    if ui.out.is_terminal:
        for outcome in failed:
            _line(outcome)
    fetched = sum(o.fetched for o in outcomes)
    ui.say(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} image(s) ready; fetched {_size(fetched)}"
        + (f"; {len(failed)} failed" if failed else "")
    )


def register(app: typer.Typer) -> None:
    app.command("preload")(preload)
