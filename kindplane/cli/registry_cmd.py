"""`kindplane registry ls|push|rm|gc`: the local registry through its own API, no curl needed.

httpx and the docker SDK load inside the commands, so `kindplane --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, Optional

import typer

from . import ui
from .context import EXIT_USAGE, cli_of, kindplane_argv
from .live_registry import live_config, registry_login
from .output import Format, chosen_format, emit, json_alias_option, output_option

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from ..core.config import KindplaneConfig, RegistryConfig


def load_registry(ctx: typer.Context) -> tuple[KindplaneConfig, RegistryConfig]:
    """The config's registry at its live address; exit 1 when the registry is disabled."""
    config = live_config(ctx)
    if not config.cluster.registry.enabled:
        ui.fail(f"the local registry is disabled in {cli_of(ctx).config_path} (set cluster.registry.enabled: true)")
    return config, config.cluster.registry


def failed(exc: Exception, ctx: Optional[typer.Context] = None) -> NoReturn:
    """Every expected error is one line; ImageRefError is a usage error (exit 2). A registry that
    does not answer comes with the command that starts it (`up` starts a stopped one too)."""
    import shlex

    from ..core.image_ref import ImageRefError
    from ..ops.registry.http_api import RegistryUnreachable

    message = str(exc)
    if isinstance(exc, RegistryUnreachable) and ctx is not None:
        cli = cli_of(ctx)
        kindplane = shlex.join(kindplane_argv(cli))
        message += f"; start it with `{kindplane} up` (`{kindplane} doctor` says what is wrong)"
    ui.fail(message, EXIT_USAGE if isinstance(exc, ImageRefError) else 1)


def human_size(size: Optional[int]) -> str:
    from rich.filesize import decimal

    return "?" if size is None else decimal(size)


def expected_errors() -> tuple[type[Exception], ...]:
    from ..core.image_ref import ImageRefError
    from ..ops.docker_lookup import DockerUnavailable
    from ..ops.registry.http_api import RegistryError
    from ..ops.registry.push_gc import OpsError

    return (RegistryError, OpsError, DockerUnavailable, ImageRefError)


# --- ls ----------------------------------------------------------------------------------------


def ls(ctx: typer.Context, output: Format = output_option(), as_json: bool = json_alias_option()) -> None:
    """Repositories and their tags, with digest and size (catalog + tags/list, every page)."""
    fmt = chosen_format(output, as_json)
    from ..core.naming import registry_host_address
    from ..ops.registry.http_api import RegistryClient

    config, registry = load_registry(ctx)
    address = registry_host_address(registry)
    login = registry_login(ctx, config)
    try:
        with RegistryClient(address, auth=login) as client:
            listing: list[dict[str, Any]] = [
                {"name": repo, "tags": [_tag_entry(client, repo, tag) for tag in client.tags(repo)]}
                for repo in client.repositories()
            ]
    except expected_errors() as exc:
        failed(exc, ctx)
    if fmt is not Format.text:
        emit({"registry": address, "repositories": listing}, fmt)
        return
    if not listing:
        ui.say(f"{address}: no repositories yet; push one with `kindplane registry push IMAGE:TAG`")
        return
    ui.say(f"{address}: {len(listing)} repositor{'y' if len(listing) == 1 else 'ies'}", "bold")
    width = max((len(t["tag"]) for r in listing for t in r["tags"]), default=0)
    for repo in listing:
        ui.say(repo["name"])
        if not repo["tags"]:
            ui.say("  (no tags: all deleted)", "dim")
        for tag in repo["tags"]:
            ui.say(f"  {tag['tag']:<{width}}  {tag['digest'][:19]}  {human_size(tag['size'])}")


def _tag_entry(client, repo: str, tag: str) -> dict:
    from ..ops.registry.http_api import TagNotFound

    try:
        manifest = client.manifest(repo, tag)
    except TagNotFound:  # deleted while we were listing
        return {"tag": tag, "digest": "", "mediaType": "", "size": None}
    entry = {"tag": tag, "digest": manifest.digest, "mediaType": manifest.media_type, "size": manifest.size}
    if manifest.platforms:
        entry["platforms"] = manifest.platforms
    return entry


# --- push --------------------------------------------------------------------------------------


def push(
    ctx: typer.Context,
    image: str = typer.Argument(..., metavar="IMAGE[:TAG]", help="A local Docker image; no tag means :latest."),
    output: Format = output_option(),
    as_json: bool = json_alias_option(),
) -> None:
    """Tag a local image as localhost:<port>/IMAGE:TAG and push it to the registry."""
    fmt = chosen_format(output, as_json)
    from ..core.image_ref import ImageRefError, parse_image_ref
    from ..core.naming import registry_host_address
    from ..ops.registry.http_api import RegistryClient
    from ..ops.registry.push_gc import push_image

    config, registry = load_registry(ctx)
    address = registry_host_address(registry)
    login = registry_login(ctx, config)
    try:
        ref = parse_image_ref(image)
        if ref.digest:
            raise ImageRefError(f"{image!r}: push needs a tag to create, not a digest")
        with RegistryClient(address, auth=login) as client:
            client.ping()  # a clear "not running" before Docker's retry loop
        if fmt is Format.text:
            ui.say(f"Pushing {ref} as {ref.on(address)}")
        result = push_image(ref, address)
    except expected_errors() as exc:
        failed(exc, ctx)
    if fmt is not Format.text:
        emit({"source": result.source, "reference": result.target, "digest": result.digest, "size": result.size}, fmt)
        return
    ui.out.print(ui.Text("✓ ", style="green") + ui.Text(f"pushed {result.target} ({result.digest})"))
    ui.say(f"Use in manifests: image: {result.target}")


# --- rm ----------------------------------------------------------------------------------------


def rm(
    ctx: typer.Context,
    image: str = typer.Argument(..., metavar="IMAGE:TAG", help="The tag to delete (or IMAGE@sha256:…)."),
    all_tags: bool = typer.Option(
        False, "--all-tags", help="Also delete the other tags that point at the same manifest."
    ),
    output: Format = output_option(),
    as_json: bool = json_alias_option(),
) -> None:
    """Delete a tag's manifest by digest (then `registry gc` frees the space)."""
    fmt = chosen_format(output, as_json)
    from ..core.image_ref import ImageRefError, parse_image_ref
    from ..core.naming import registry_cluster_address, registry_host_address
    from ..ops.registry.http_api import RegistryClient

    config, registry = load_registry(ctx)
    address = registry_host_address(registry)
    login = registry_login(ctx, config)
    try:
        ref = parse_image_ref(image)
        if ref.host not in (None, address, registry_cluster_address(registry)):
            raise ImageRefError(f"{image!r} names registry {ref.host}; this registry is {address}")
        if not ref.tag and not ref.digest:
            raise ImageRefError(f"{image!r}: name the tag to delete, e.g. {ref.path}:latest")
        with RegistryClient(address, auth=login) as client:
            if ref.digest:
                digest = ref.digest
            else:
                assert ref.tag is not None  # refused above without a tag or a digest
                digest = _digest_of(client, ref.path, ref.tag)
            tags = client.tags_sharing(ref.path, digest)
            others = [t for t in tags if t != ref.tag]
            if others and not all_tags:
                named = ", ".join(f"{ref.path}:{t}" for t in tags)
                ui.fail(
                    f"{ref.path}@{digest} is tagged {named}; the registry deletes a manifest with "
                    f"every tag on it. Re-run with --all-tags to delete them all"
                )
            deleted: list[dict[str, Optional[str]]] = [
                {"repository": ref.path, "tag": t, "digest": digest} for t in tags
            ] or [{"repository": ref.path, "tag": None, "digest": digest}]
            for item in deleted:  # named before anything is deleted, on stderr under -o json|yaml
                name = f"{ref.path}:{item['tag']}" if item["tag"] else ref.path
                (ui.err if fmt is not Format.text else ui.out).print(ui.Text(f"Deleting {name} ({digest})"))
            client.delete(ref.path, digest)
    except expected_errors() as exc:
        failed(exc, ctx)
    if fmt is not Format.text:
        emit({"registry": address, "deleted": deleted}, fmt)
        return
    ui.out.print(ui.Text("✓ ", style="green") + ui.Text("deleted; `kindplane registry gc` reclaims the space"))


def _digest_of(client, repository: str, tag: str) -> str:
    from ..ops.registry.http_api import TagNotFound

    try:
        return client.manifest(repository, tag).digest
    except TagNotFound as exc:
        tags = client.tags(repository)
        raise TagNotFound(f"{exc} (tags: {', '.join(tags) or 'none'})") from None


# --- gc ----------------------------------------------------------------------------------------


def gc(
    ctx: typer.Context,
    delete_untagged: bool = typer.Option(
        False, "--delete-untagged", help="Also remove manifests no tag points at (e.g. an old :latest)."
    ),
    restart: bool = typer.Option(
        True,
        "--restart/--no-restart",
        help="Restart the registry afterwards, clearing its cache of deleted blobs.",
    ),
    output: Format = output_option(),
    as_json: bool = json_alias_option(),
) -> None:
    """Run the registry's garbage collector inside its container; report the bytes reclaimed."""
    fmt = chosen_format(output, as_json)
    from ..core.naming import registry_host_address
    from ..ops.registry.push_gc import collect_garbage, registry_container

    config, registry = load_registry(ctx)
    login = registry_login(ctx, config)
    try:
        container = registry_container(registry.name)
        result = collect_garbage(container.run, container.config_path, container.storage_root, delete_untagged)
        if restart:
            container.restart()
            back = _answers_again(registry_host_address(registry), login)
    except expected_errors() as exc:
        failed(exc, ctx)
    if restart and not back:
        ui.warn(f"restarted {registry.name}, but it does not answer yet; `kindplane doctor` checks")
    if fmt is not Format.text:
        emit({"before": result.before, "after": result.after, "reclaimed": result.reclaimed, "restarted": restart}, fmt)
        return
    if cli_of(ctx).verbose:
        ui.say(result.output.rstrip(), "dim")
    ui.out.print(
        ui.Text("✓ ", style="green")
        + ui.Text(
            f"reclaimed {human_size(result.reclaimed)} ({human_size(result.before)} → {human_size(result.after)})"
        )
    )


def _answers_again(address: str, login: Optional[tuple[str, str]], attempts: int = 100) -> bool:
    """Polls GET /v2/ after the restart; registry:2 answers in well under a second."""
    import time

    from ..ops.registry.http_api import RegistryClient, RegistryUnreachable

    with RegistryClient(address, timeout=2, auth=login) as client:
        for _ in range(attempts):
            try:
                client.ping()
                return True
            except RegistryUnreachable:
                time.sleep(0.1)
    return False


def register(app: typer.Typer) -> None:
    """Adds the `registry` group to the root Typer app: ls, push, rm, gc here, the rest from their modules."""
    from . import registry_bundle_cmd, registry_disk_cmd, registry_preload_cmd

    group = typer.Typer(
        help="The local registry and mirrors: list, push, delete, gc, du, prune, export, import, preload.",
        no_args_is_help=True,
    )
    for name, command in (("ls", ls), ("push", push), ("rm", rm), ("gc", gc)):
        group.command(name)(command)
    registry_disk_cmd.register(group)
    registry_bundle_cmd.register(group)
    registry_preload_cmd.register(group)
    app.add_typer(group, name="registry")
