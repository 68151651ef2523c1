"""containerd registry configuration: the config_path patch and hosts.toml."""

from __future__ import annotations

from typing import Optional

from ..config import RegistryConfig
from ..naming import CERTS_DIR, registry_cluster_address, registry_host_address


def config_path_patch() -> str:
    """Makes containerd read per-registry hosts.toml files (kind's documented patch)."""
    return f'[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "{CERTS_DIR}"\n'


def hosts_toml(registry: RegistryConfig, authorization: Optional[str] = None) -> str:
    """Send pulls to the registry container over plain HTTP on the kind network; with `tls`, over
    HTTPS, trusting the registry's own CA (written beside it: registry_ca_path). `authorization`
    (registry.auth): the header every request carries (core.render.registry_auth)."""
    scheme = "https" if registry.tls else "http"
    host = f'host."{scheme}://{registry_cluster_address(registry)}"'
    text = f"[{host}]\n"
    if registry.tls:
        text += f'  ca = "{registry_ca_path(registry)}"\n'
    if authorization:
        text += f'  [{host}.header]\n    Authorization = "{authorization}"\n'
    return text


def registry_ca_path(registry: RegistryConfig) -> str:
    """Where every node keeps the CA of an HTTPS registry: in the first of its hosts directories
    (both hosts.toml files name this one path)."""
    return f"{hosts_dirs(registry)[0]}/ca.crt"


def hosts_dirs(registry: RegistryConfig) -> list[str]:
    """One directory per name pods may use: `localhost:<port>` and `<name>:5000`."""
    return [
        f"{CERTS_DIR}/{registry_host_address(registry)}",
        f"{CERTS_DIR}/{registry_cluster_address(registry)}",
    ]
