"""Pulumi ComponentResources. They only wire resources; every string comes from `render`."""

from .cluster import KindCluster
from .environment import Environment
from .mirror import PullThroughMirror
from .registry import LocalRegistry
from .shared_registry import SharedRegistry
from .wiring import RegistryWiring

__all__ = ["Environment", "KindCluster", "LocalRegistry", "PullThroughMirror", "RegistryWiring", "SharedRegistry"]
