"""containerd registry configuration: the config_path patch and hosts.toml."""

from __future__ import annotations

from ..config import RegistryConfig
from ..naming import CERTS_DIR, registry_cluster_address, registry_host_address


def config_path_patch() -> str:
    """Makes containerd read per-registry hosts.toml files (kind's documented patch)."""
    return f'[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "{CERTS_DIR}"\n'


def hosts_toml(registry: RegistryConfig) -> str:
    """Send pulls to the registry container over plain HTTP on the kind network."""
    return f'[host."http://{registry_cluster_address(registry)}"]\n'


def hosts_dirs(registry: RegistryConfig) -> list[str]:
    """One directory per name pods may use: `localhost:<port>` and `<name>:5000`."""
    return [
        f"{CERTS_DIR}/{registry_host_address(registry)}",
        f"{CERTS_DIR}/{registry_cluster_address(registry)}",
    ]
