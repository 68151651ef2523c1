"""Valid but risky settings: `kindplane validate` prints these and still exits 0."""
from __future__ import annotations

import ipaddress

from .config import KindplaneConfig


def config_warnings(config: KindplaneConfig, file: str) -> list[str]:
    registry = config.cluster.registry
    if not registry.enabled or registry.external or registry.loopback_only:
        return []
    address = ipaddress.ip_address(registry.listen_address)
    warning = (
        f"{file}: cluster.registry.listenAddress: {registry.listen_address} makes the registry "
        f"reachable from the network: anyone who reaches this host on port {registry.port} can push "
        f"and pull without authentication; use 127.0.0.1 unless that is what you want"
    )
    if not address.is_unspecified:
        # Docker binds that one address only: localhost:<port>, the registry's host address, misses it.
        warning += f"; pushes to localhost:{registry.port} will not reach it (only {registry.listen_address} is bound)"
    return [warning]
