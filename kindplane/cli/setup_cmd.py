"""`kindplane setup`: install what `up` needs and is missing (kind, the Pulumi CLI), downloaded or
(--from) from files the user carries."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Callable, Sequence

import typer

from . import ui
from .context import EXIT_FAILED

Step = Callable[[], str]


def run_setup(carried: Sequence[Path] = ()) -> list[str]:
    """Installs missing tools; returns the problems (empty when everything is in place)."""
    from ..ops.setup_tools import SetupError, install_kind, install_pulumi

    if carried:
        steps, problems = offline_steps(carried)
    else:
        steps, problems = ([install_kind] if kind_wanted() else []) + [install_pulumi], []
    for step in steps:
        try:
            ui.say(step(), "green")
        except SetupError as exc:
            problems.append(str(exc))
    return problems


def kind_wanted() -> bool:
    """A kind already on PATH is used as it is; ours (~/.kindplane/bin) is installed or checked."""
    from ..ops.setup_tools import installed_kind_version
    from ..ops.tools import KIND_VERSION, bin_dir

    ours = bin_dir() / "kind"
    elsewhere = shutil.which("kind")
    if elsewhere and not ours.exists():
        version = installed_kind_version(Path(elsewhere)) or "unknown version"
        ui.say(f"kind already on PATH at {elsewhere} ({version}); not installing kind {KIND_VERSION}")
        return False
    return True


def offline_steps(paths: Sequence[Path]) -> tuple[list[Step], list[str]]:
    """What to install from the carried files, in order (the plugins need the CLI), and what
    is refused or missing."""
    from ..ops import setup_offline as offline
    from ..ops.setup_tools import installed_kind_version, kind_asset
    from ..ops.tools import KIND_VERSION, PULUMI_VERSION, bin_dir, find_pulumi

    files = offline.carried_files(paths)
    where = offline.this_platform()
    among = ", ".join(str(p) for p in paths)
    wanted = offline.plugin_versions()
    kind, problems = offline.pick_kind(files, where)
    pulumi, refused = offline.pick_pulumi(files, where)
    plugins, refused_plugins = offline.pick_plugins(files, where, wanted)
    problems += refused + refused_plugins
    steps: list[Step] = []
    if kind_wanted():
        if kind is not None:
            steps.append(lambda: offline.install_kind_from(kind, where=where))
        elif installed_kind_version(bin_dir() / "kind") != KIND_VERSION:
            asset = kind_asset(where.os, where.arch)
            page = offline.KIND_RELEASE_PAGE.format(version=KIND_VERSION)
            problems.append(f"no kind in {among}: carry {asset} of kind {KIND_VERSION} and {asset}.sha256sum ({page})")
    found = find_pulumi()
    if found:
        kept = f"Pulumi CLI already installed at {found}" + (f"; not installing {pulumi}" if pulumi else "")
        steps.append(lambda: kept)
    elif pulumi is not None:
        steps.append(lambda: offline.install_pulumi_from(pulumi, where=where))
    else:
        asset = offline.pulumi_asset(PULUMI_VERSION, where)
        problems.append(
            f"no Pulumi CLI in {among}: carry {asset} and pulumi-{PULUMI_VERSION}-checksums.txt "
            f"({offline.PULUMI_VERSIONS_PAGE})"
        )
    steps += [functools.partial(offline.install_plugin_from, plugin) for plugin in plugins]
    not_carried = [f"{name} {version}" for name, version in wanted.items() if name not in {p.name for p in plugins}]
    if not_carried:
        ui.warn(
            f"note: plugins not carried: {', '.join(not_carried)}; `kindplane up` downloads a plugin Pulumi's "
            f"plugin cache lacks (offline, carry pulumi-resource-<name>-v<version>-{where.os}-{where.arch}.tar.gz)"
        )
    return steps, problems


def setup(
    carried: list[Path] = typer.Option(
        [],
        "--from",
        metavar="PATH",
        exists=True,
        help="Install from files you carry instead of downloading: a folder holding (or the paths of) "
        "kind's release binary, the Pulumi CLI archive, the provider plugin archives and their checksum files.",
    ),
) -> None:
    """Install the pinned kind release (SHA-256 checked) and the Pulumi CLI under ~/.kindplane;
    --from installs them from files you carry (no network)."""
    problems = run_setup(carried)
    if problems:
        ui.fail(problems, EXIT_FAILED)
    ui.say("Ready: Docker is the only other prerequisite. Next: `kindplane up`")


def register(app: typer.Typer) -> None:
    """Adds `setup` to the root Typer app."""
    app.command("setup")(setup)
