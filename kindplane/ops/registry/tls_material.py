"""The HTTPS registry's certificates, kept in its data volume (under core.render.tls.REGISTRY_TLS_DIR,
through volume_files): read them back, or make them once (core.registry_ca).

Whatever keeps the images keeps the CA: a persistent registry taken back by the next `up` serves
with the CA every node and every client already trusts. A serving certificate near its end is made
again from the same CA. Writing happens only outside preview (a preview of a first `up` shows a CA
that the `up` then makes anew).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ...core.registry_ca import TlsSet, new_tls_set, renewed
from ...core.render.tls import REGISTRY_TLS_DIR, REGISTRY_TLS_FILES, RegistryTls, registry_tls_names
from .volume_files import read_volume_dir, write_volume_dir

if TYPE_CHECKING:
    from docker import DockerClient

    from ...core.config import RegistryConfig


def registry_tls(client: DockerClient, registry: RegistryConfig, owner: str, dry_run: bool) -> RegistryTls:
    """The CA and serving certificate the registry runs with: read from its volume, made (and,
    outside preview, written there) when missing or due."""
    names = registry_tls_names(registry.name)
    current = read_tls_set(client, registry)
    wanted = renewed(current, registry.name, names) if current else new_tls_set(registry.name, names)
    if wanted != current and not dry_run:
        write_volume_dir(client, registry, owner, REGISTRY_TLS_DIR, wanted.as_files())
    return RegistryTls(wanted.ca_crt, wanted.certificate_sha256)


def read_tls_set(client: DockerClient, registry: RegistryConfig) -> Optional[TlsSet]:
    found = read_volume_dir(client, registry, REGISTRY_TLS_DIR) or {}
    if not all(name in found for name in REGISTRY_TLS_FILES):
        return None  # none yet, or half written (an interrupted first up): made anew
    return TlsSet(found["ca.crt"], found["ca.key"], found["server.crt"], found["server.key"])
