"""The Pulumi program: one function shared by `__main__.py` (pulumi up) and the CLI."""
from __future__ import annotations

from typing import Callable, Optional

import pulumi

from .components import Environment
from .config import DEFAULT_FILE, KindplaneConfig, load_config
from .docker_lookup import AdoptionError, DockerUnavailable, adoption_id
from .errors import ConfigError

CONFIG_NAMESPACE = "kindplane"
CONFIG_FILE_KEY = "configFile"  # `kindplane:configFile`, relative to the project directory

AdoptionLookup = Callable[[KindplaneConfig], Optional[str]]


def docker_adoption_lookup(config: KindplaneConfig) -> Optional[str]:
    registry = config.cluster.registry
    if not registry.enabled:
        return None
    try:
        return adoption_id(registry)
    except DockerUnavailable as exc:
        # Preview can still show the plan; the docker provider will report the daemon itself.
        pulumi.log.warn(f"{exc}; cannot look for a kept registry to adopt")
        return None


def build(config: KindplaneConfig, lookup: AdoptionLookup = docker_adoption_lookup) -> Environment:
    """Builds the graph for `config` and exports the stack outputs."""
    env = Environment("kindplane", config, adopt_registry_id=lookup(config))
    for key, value in env.outputs().items():
        pulumi.export(key, value)
    return env


def config_file_from_stack() -> str:
    return pulumi.Config(CONFIG_NAMESPACE).get(CONFIG_FILE_KEY) or DEFAULT_FILE


def main(lookup: AdoptionLookup = docker_adoption_lookup) -> Optional[Environment]:
    """Entry point of `__main__.py`: bad config or a foreign container stop before anything."""
    try:
        config = load_config(config_file_from_stack())
        return build(config, lookup)
    except (ConfigError, AdoptionError) as exc:
        # RunError prints the message without a Python traceback.
        raise pulumi.RunError(str(exc)) from None
