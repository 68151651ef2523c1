"""The registry's htpasswd file (registry.auth), kept in its data volume through volume_files:
read back, and written again only when it no longer accepts the password the environment gives.

Keeping the file while the password is unchanged keeps the hash (bcrypt salts anew each time), so
a no-op `up` changes nothing; a new password is a new file, which the registry container is made
again to read (core.render.registry_auth). Writing happens only outside preview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.render.registry_auth import HTPASSWD_FILE, REGISTRY_AUTH_DIR, RegistryAuth, htpasswd_accepts, new_htpasswd
from .volume_files import read_volume_dir, write_volume_dir

if TYPE_CHECKING:
    from docker import DockerClient

    from ...core.config import RegistryConfig


def registry_auth(
    client: DockerClient, registry: RegistryConfig, owner: str, credentials: tuple[str, str], dry_run: bool
) -> RegistryAuth:
    username, password = credentials
    kept = (read_volume_dir(client, registry, REGISTRY_AUTH_DIR) or {}).get(HTPASSWD_FILE, "")
    if htpasswd_accepts(kept, username, password):
        return RegistryAuth(username, password, kept)
    made = new_htpasswd(username, password)
    if not dry_run:
        write_volume_dir(client, registry, owner, REGISTRY_AUTH_DIR, {HTPASSWD_FILE: made})
    return RegistryAuth(username, password, made)
