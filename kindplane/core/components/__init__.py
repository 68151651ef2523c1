"""Pulumi ComponentResources. They only wire resources; every string comes from `render`."""
from .cluster import KindCluster
from .environment import Environment
from .registry import LocalRegistry
from .shared_registry import SharedRegistry
from .wiring import RegistryWiring

__all__ = ["Environment", "KindCluster", "LocalRegistry", "RegistryWiring", "SharedRegistry"]
