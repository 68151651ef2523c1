"""kindplane: a Kind cluster and a local registry from one kindplane.yaml, as Pulumi resources.

The config layer is imported eagerly (it is light); the Pulumi components load on first use so
that `kindplane validate` and friends never pay for importing Pulumi.
"""
from __future__ import annotations

from typing import Any

from .config import KindplaneConfig, load_config, parse_config
from .errors import ConfigError, ConfigProblem

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "Environment",
    "KindCluster",
    "KindplaneConfig",
    "LocalRegistry",
    "RegistryWiring",
    "load_config",
    "parse_config",
]

_COMPONENTS = {"Environment", "KindCluster", "LocalRegistry", "RegistryWiring"}


def __getattr__(name: str) -> Any:
    if name in _COMPONENTS:
        from . import components

        return getattr(components, name)
    raise AttributeError(f"module 'kindplane' has no attribute {name!r}")
