"""A pull-through mirror's renderings: its hosts.toml on the nodes and its proxy settings."""
from __future__ import annotations

import json

from ..config import MirrorConfig
from ..naming import CERTS_DIR, mirror_cluster_address

# distribution (registry:2) proxy mode, configured through its environment overrides.
PROXY_REMOTE_URL = "REGISTRY_PROXY_REMOTEURL"
PROXY_USERNAME = "REGISTRY_PROXY_USERNAME"
PROXY_PASSWORD = "REGISTRY_PROXY_PASSWORD"


def mirror_hosts_dir(mirror: MirrorConfig) -> str:
    """containerd looks up `<certs.d>/<host>/hosts.toml` for images named `<host>/…`."""
    return f"{CERTS_DIR}/{mirror.host}"


def mirror_hosts_toml(mirror: MirrorConfig) -> str:
    """Pulls and resolves go to the mirror first; containerd falls back to `server` (the remote)
    when the mirror fails, so a stopped mirror slows pulls down but never breaks them."""
    # json.dumps gives a valid TOML basic string; the config already refuses quotes and spaces.
    return (
        f"server = {json.dumps(mirror.remote)}\n"
        "\n"
        f"[host.{json.dumps('http://' + mirror_cluster_address(mirror))}]\n"
        '  capabilities = ["pull", "resolve"]\n'
    )


def mirror_env(mirror: MirrorConfig) -> list[str]:
    """The mirror's non-secret environment; credentials are added as secrets by the component."""
    return [f"{PROXY_REMOTE_URL}={mirror.remote}"]
