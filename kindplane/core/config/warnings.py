"""Things in a valid kindplane.yaml that will not do what they say, or that are risky: printed by
validate, config kind and up, which still go on.

Each is a key path and a sentence, like a ConfigProblem, but nothing stops: the user asked for an
image kind did not build, or the registry is reachable from the network. What the merged kind
config adds (kindplane's own setting wins over cluster.kind) comes from render:
kindplane.core.render.all_warnings.all_warnings gives both.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..contract import host_address
from ..node_images import resolve_node_image
from .models import ClusterConfig


@dataclass(frozen=True)
class ConfigWarning:
    path: str  # "cluster.kind.nodes[0].role"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def config_warnings(cluster: ClusterConfig) -> list[ConfigWarning]:
    found: list[ConfigWarning] = []
    if cluster.kubernetes_version and not cluster.node_image:
        warning = resolve_node_image(cluster.kubernetes_version).warning
        if warning:
            found.append(ConfigWarning("cluster.kubernetesVersion", warning))
    return found + registry_warnings(cluster)


def registry_warnings(cluster: ClusterConfig) -> list[ConfigWarning]:
    registry = cluster.registry
    if not registry.enabled or registry.external or registry.loopback_only:
        return []
    address = ipaddress.ip_address(registry.listen_address)
    warning = (
        f"{registry.listen_address} makes the registry reachable from the network: anyone who "
        f"reaches this host on port {registry.port} can push and pull without authentication; use "
        f"127.0.0.1 unless that is what you want"
    )
    if not address.is_unspecified:
        # Docker binds that one address only: localhost:<port>, the registry's host address, misses it.
        pushes = host_address(registry.port)
        warning += f"; pushes to {pushes} will not reach it (only {registry.listen_address} is bound)"
    return [ConfigWarning("cluster.registry.listenAddress", warning)]
