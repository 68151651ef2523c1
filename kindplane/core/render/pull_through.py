"""A pull-through mirror's renderings: its hosts.toml on the nodes and its proxy settings."""

from __future__ import annotations

import json
from typing import Optional

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

# distribution's proxy asks the upstream for /v2/ when it starts (proxy.configureAuth → getAuthURLs,
# 2.8 and 3.x alike) and exits when nothing answers: a mirror (re)started offline — a reboot, a
# gc — would serve nothing. And while it runs, every tag costs an upstream attempt first. So the
# container runs this loop instead of the image's entrypoint: it serves as a proxy while the
# upstream answers (any HTTP status), and serves its cache as a plain registry, at full speed and
# with nothing expiring, while it does not; it checks every PROBE_SECONDS and switches modes by
# restarting `registry serve` (pulls in flight at that moment fail over to the upstream).
MIRROR_PROBE_SECONDS = 10
MIRROR_MODE_FILE = "/tmp/kindplane-mirror-mode"  # "proxy" or "cache": what doctor reports
MIRROR_SUPERVISOR = r"""
config=""
for candidate in /etc/distribution/config.yml /etc/docker/registry/config.yml; do
  [ -f "$candidate" ] && config="$candidate" && break
done
[ -n "$config" ] || { echo "kindplane-mirror: no registry config file in the image" >&2; exit 1; }
pid=""
mode=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"; exit 0; }
trap stop TERM INT
while :; do
  if timeout 5 wget -S -O /dev/null "$REGISTRY_PROXY_REMOTEURL/v2/" 2>&1 | grep -q "HTTP/"; then
    want=proxy
  else
    want=cache
  fi
  if [ "$want" != "$mode" ] || ! kill -0 "$pid" 2>/dev/null; then
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
    if [ "$want" = proxy ]; then
      echo "kindplane-mirror: $REGISTRY_PROXY_REMOTEURL answers: proxy mode" >&2
      registry serve "$config" &
    else
      echo "kindplane-mirror: $REGISTRY_PROXY_REMOTEURL does not answer: serving the cache only" >&2
      env -u REGISTRY_PROXY_REMOTEURL -u REGISTRY_PROXY_USERNAME -u REGISTRY_PROXY_PASSWORD \
        -u REGISTRY_PROXY_TTL registry serve "$config" &
    fi
    pid=$!
    mode=$want
    echo "$mode" > MODE_FILE
  fi
  sleep PROBE_SECONDS &
  wait $!
done
""".replace("PROBE_SECONDS", str(MIRROR_PROBE_SECONDS)).replace("MODE_FILE", MIRROR_MODE_FILE)


def mirror_hosts_dir(mirror: MirrorConfig) -> str:
    """containerd looks up `<certs.d>/<host>/hosts.toml` for images named `<host>/…`."""
    return f"{CERTS_DIR}/{mirror.host}"


def mirror_hosts_toml(mirror: MirrorConfig, trusted_bundle: Optional[str] = None) -> str:
    """Pulls and resolves go to the mirror first; containerd falls back to `server` (the remote)
    when the mirror fails, so a stopped mirror slows pulls down but never breaks them.
    `trusted_bundle`: the node's path of the trustedCAs bundle, which that fallback trusts too."""
    # json.dumps gives a valid TOML basic string; the config already refuses quotes and spaces.
    trust = f"ca = [{json.dumps(trusted_bundle)}]\n" if trusted_bundle else ""
    return (
        f"server = {json.dumps(mirror.remote)}\n"
        f"{trust}"
        "\n"
        f"[host.{json.dumps('http://' + mirror_cluster_address(mirror))}]\n"
        '  capabilities = ["pull", "resolve"]\n'
    )


def mirror_entrypoint() -> list[str]:
    """`sh -c SUPERVISOR` (the official images and kindplane's test images all have a busybox sh)."""
    return ["/bin/sh", "-c", MIRROR_SUPERVISOR, "kindplane-mirror"]


def mirror_env(mirror: MirrorConfig) -> list[str]:
    """The mirror's non-secret environment; credentials are added as secrets by the component."""
    env = [f"{PROXY_REMOTE_URL}={mirror.remote}"]
    if mirror.ttl_seconds is not None:
        env.append(f"{PROXY_TTL}={go_duration(mirror.ttl_seconds)}")
    return env
