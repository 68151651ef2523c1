"""A pull-through mirror's renderings: its hosts.toml on the nodes and its proxy settings."""
from __future__ import annotations

import json

from ..config import MirrorConfig
from ..naming import CERTS_DIR, mirror_cluster_address
from ..units import go_duration

# distribution's proxy mode, configured through its environment overrides (configuration.Proxy).
PROXY_REMOTE_URL = "REGISTRY_PROXY_REMOTEURL"
PROXY_USERNAME = "REGISTRY_PROXY_USERNAME"
PROXY_PASSWORD = "REGISTRY_PROXY_PASSWORD"
# v3 only; 2.8 logs "Ignoring unrecognized environment variable" and keeps its fixed 7 days.
PROXY_TTL = "REGISTRY_PROXY_TTL"
# The proxy asks the upstream for every tag before it answers from its cache (proxyTagService.Get),
# and Go's resolver waits 5 s x 2 attempts for a name nobody answers: a cached pull with the
# upstream unreachable took 10 s. One 1-second attempt (Go's minimum) bounds that wait.
MIRROR_DNS_OPTIONS = ["timeout:1", "attempts:1"]


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
    env = [f"{PROXY_REMOTE_URL}={mirror.remote}"]
    if mirror.ttl_seconds is not None:
        env.append(f"{PROXY_TTL}={go_duration(mirror.ttl_seconds)}")
    return env
