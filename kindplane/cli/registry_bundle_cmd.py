"""`kindplane registry export FILE` / `import FILE`: move a registry's or mirror's images as an
OCI image layout tarball (to another machine, into an air-gapped one)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from . import ui
from .context import EXIT_USAGE, cli_of
from .live_registry import live_config, registry_login
from .output import Format, emit, output_option

if TYPE_CHECKING:
    from ..core.config import KindplaneConfig
    from ..ops.registry.config_stores import Store


def _store(ctx: typer.Context, name: Optional[str], option: str) -> tuple[KindplaneConfig, Store]:
    from ..ops.registry.config_stores import stores

    cli = cli_of(ctx)
    config = live_config(ctx)
    found = stores(config)
    if name is None:
        registry = [s for s in found if s.role == "registry"]
        if registry:
            return config, registry[0]
        ui.fail(f"{cli.config_path} has no local registry; name a mirror with {option} NAME", EXIT_USAGE)
    chosen = [s for s in found if s.name == name]
    if not chosen:
        names = ", ".join(s.name for s in found) or "none"
        ui.fail(f"no registry or mirror named {name!r} in {cli.config_path} (there are: {names})", EXIT_USAGE)
    return config, chosen[0]


def _size(size: int) -> str:
    from rich.filesize import decimal

    return decimal(size)


def export(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="The tarball to write (an OCI image layout)."),
    images: Optional[list[str]] = typer.Argument(None, metavar="[REPOSITORY:TAG]...", help="Only these images."),
    source: Optional[str] = typer.Option(
        None, "--from", metavar="NAME", help="A mirror (container name) instead of the local registry."
    ),
    output: Format = output_option(),
) -> None:
    """Write the registry's (or a mirror's) images to FILE, an OCI image layout tarball."""
    from ..ops.docker_lookup import DockerUnavailable
    from ..ops.registry.config_stores import inspect_store
    from ..ops.registry.oci_bundle import BundleError, select_images, write_bundle
    from ..ops.registry.push_gc import OpsError
    from ..ops.registry.storage_scan import StorageError

    _, store = _store(ctx, source, "--from")
    try:
        inspected = inspect_store(store)
        chosen = select_images(inspected.storage, images or None)
        size = write_bundle(inspected.container, inspected.storage, chosen, file)
    except BundleError as exc:
        ui.fail(str(exc), EXIT_USAGE if "not in the registry" in str(exc) else 1)
    except (OpsError, StorageError, DockerUnavailable, OSError) as exc:
        ui.fail(str(exc))
    if output is not Format.text:
        emit(
            {"file": str(file), "from": store.as_dict(), "bytes": size, "images": [i.as_dict() for i in chosen]}, output
        )
        return
    for image in chosen:
        ui.say(f"  {image.name}  {image.digest[:19]}")
    ui.out.print(
        ui.Text("✓ ", style="green")
        + ui.Text(f"wrote {file}: {len(chosen)} image(s) from {store.role} {store.name}, {_size(size)} of blobs")
    )


def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="An OCI image layout tarball (from `registry export`)."),
    target: Optional[str] = typer.Option(
        None, "--into", metavar="NAME", help="A mirror (container name) instead of the local registry."
    ),
    output: Format = output_option(),
) -> None:
    """Check every blob of FILE against its digest, then load its images into the registry (or a mirror)."""
    from ..core.naming import registry_host_address
    from ..ops.docker_lookup import DockerUnavailable
    from ..ops.registry.config_stores import inspect_store
    from ..ops.registry.oci_bundle import BundleError, import_into_storage, import_through_api, read_bundle
    from ..ops.registry.push_gc import OpsError
    from ..ops.registry.storage_scan import StorageError

    config, store = _store(ctx, target, "--into")
    try:
        with ui.messages_to_stderr(output is not Format.text):
            ui.say(f"Checking {file} …")
            bundle = read_bundle(file)
            ui.say(f"{len(bundle.images)} image(s), {len(bundle.blobs)} blobs, every digest verified")
        if store.role == "registry":
            results = import_through_api(
                bundle, registry_host_address(config.cluster.registry), auth=registry_login(ctx, config)
            )
        else:
            inspected = inspect_store(store)
            results = import_into_storage(bundle, inspected.container, inspected.storage)
            inspected.container.restart(wait=30)  # forget cached "blob unknown" answers
    except BundleError as exc:
        ui.fail(str(exc))
    except (OpsError, StorageError, DockerUnavailable, OSError) as exc:
        ui.fail(str(exc))
    failed = [r for r in results if r.error]
    if output is not Format.text:
        emit({"file": str(file), "into": store.as_dict(), "images": [r.as_dict() for r in results]}, output)
    else:
        for result in results:
            if result.error:
                ui.err.print(ui.Text(f"✗ {result.image.name}: {result.error}", style="red"))
            else:
                ui.out.print(
                    ui.Text("✓ ", style="green")
                    + ui.Text(f"{result.image.name} ({result.pushed} written, {result.skipped} already there)")
                )
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_)
