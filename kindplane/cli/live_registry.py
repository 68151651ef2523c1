"""kindplane.yaml as the registry really serves: an `external: true` registry at the port it
publishes now (kindplane.ops.registry.external.with_live_port, the program's source too). Every
command that names or reaches the registry's address reads the config through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer

from ..core.errors import ConfigError
from . import ui
from .context import cli_of

if TYPE_CHECKING:
    from ..core.config import KindplaneConfig


def live_config(ctx: typer.Context) -> KindplaneConfig:
    """kindplane.yaml as the registry serves now (an external registry at the port it publishes),
    for every `registry` command: exit 2 for an invalid file, 1 when an external registry cannot be
    read (missing, stopped, Docker down)."""
    from ..ops.docker_lookup import AdoptionError, DockerUnavailable
    from ..ops.registry.external import with_live_port

    try:
        config = cli_of(ctx).load()
    except ConfigError as exc:
        ui.config_failed(exc)
    try:
        return with_live_port(config)
    except (AdoptionError, DockerUnavailable) as exc:
        ui.fail(str(exc))


def live_or_as_written(config: KindplaneConfig) -> KindplaneConfig:
    """For status and doctor: the live address when it can be read; if it cannot, the registry
    checks themselves say why (missing, stopped, Docker down)."""
    from ..ops.docker_lookup import AdoptionError, DockerUnavailable
    from ..ops.registry.external import with_live_port

    try:
        return with_live_port(config)
    except (AdoptionError, DockerUnavailable):
        return config


def registry_login(ctx: typer.Context, config: KindplaneConfig) -> Optional[tuple[str, str]]:
    """registry.auth's user name and password, from the environment, for every command that talks
    to the local registry's API; exit 2 naming the variable when it is not set."""
    import os

    from ..core.credentials import local_registry_credentials

    try:
        return local_registry_credentials(config.cluster, os.environ, str(cli_of(ctx).config_path))
    except ConfigError as exc:
        ui.config_failed(exc)
