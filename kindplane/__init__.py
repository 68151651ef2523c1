"""kindplane: a Kind cluster and a local registry from one kindplane.yaml, as Pulumi resources.

Every public name loads on first use: `kindplane --help` must not pay for pydantic, and
`kindplane validate` must not pay for Pulumi.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"  # pyproject.toml reads it from here (`kindplane --version` prints it)

_PUBLIC = {
    "ConfigError": "core.errors",
    "ConfigProblem": "core.errors",
    "KindplaneConfig": "core.config",
    "load_config": "core.config",
    "parse_config": "core.config",
    "Environment": "library",  # the whole environment, with the look-ups kindplane's own program makes
    "KindCluster": "core.components",
    "LocalRegistry": "core.components",
    "PullThroughMirror": "core.components",
    "RegistryWiring": "core.components",
    "SharedRegistry": "core.components",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'kindplane' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
