"""kindplane.yaml: the models (models.py), loading with readable errors (loader.py) and what a
valid file still warns about (warnings.py). Depends on nothing above it in core."""

from __future__ import annotations

from ..config_file import DEFAULT_FILE
from .loader import load_config, parse_config, resolve_host_paths, validate_data
from .models import (
    INGRESS_PORTS,
    ClusterConfig,
    ExtraMount,
    KindplaneConfig,
    MirrorConfig,
    NodesConfig,
    PortMapping,
    PullRegistryConfig,
    RegistryConfig,
)

__all__ = [
    "DEFAULT_FILE",
    "INGRESS_PORTS",
    "ClusterConfig",
    "ExtraMount",
    "KindplaneConfig",
    "MirrorConfig",
    "NodesConfig",
    "PortMapping",
    "PullRegistryConfig",
    "RegistryConfig",
    "load_config",
    "parse_config",
    "resolve_host_paths",
    "validate_data",
]
