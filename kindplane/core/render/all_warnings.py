"""Everything a valid kindplane.yaml warns about: the config's own warnings and what merging
cluster.kind into kind's config ignores."""

from __future__ import annotations

from ..config import ClusterConfig
from ..config.warnings import ConfigWarning, config_warnings
from .kind_config import kind_config_warnings


def all_warnings(cluster: ClusterConfig) -> list[ConfigWarning]:
    return config_warnings(cluster) + kind_config_warnings(cluster)
