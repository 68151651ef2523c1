"""What an `up` applied, kept as two stack outputs so the next `up` can tell what changed.

- `appliedSettings`: the cluster settings as loaded (defaults filled in), so `up` can name the
  kindplane.yaml keys behind a re-creation.
- `settingsFingerprint`: a hash of every input whose change can re-create or delete the cluster,
  the registry or a mirror: the settings, the kind config they render to (which also moves with a
  new kindplane's node-image table), the containers' fixed environment, entrypoint and labels (the
  images are settings), and kind's network. While it matches, no plan needs reading (a no-op `up`
  runs the engine once); when it differs, `up` previews first and asks before anything is lost.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..config import ClusterConfig
from ..naming import REGISTRY_ENV, mirror_labels, registry_labels
from .kind_config import kind_config_yaml
from .pull_through import MIRROR_DNS_OPTIONS, mirror_entrypoint, mirror_env

# Keys newer than the first stacks, left out while at their defaults: a stack made before them
# keeps the same outputs and fingerprint (no change in `pulumi preview`) until they are set.
LATER_DEFAULTS: dict[tuple[str, ...], Any] = {("trustedCAs",): [], ("registries",): [], ("registry", "tls"): False}


def applied_settings(cluster: ClusterConfig) -> dict[str, Any]:
    """The cluster section as kindplane reads it: every set key, defaults included (JSON types)."""
    settings = cluster.model_dump(by_alias=True, mode="json", exclude_none=True)
    for path, default in LATER_DEFAULTS.items():
        *parents, key = path
        section = settings
        for parent in parents:
            section = section.get(parent, {})
        if section.get(key, default) == default:
            section.pop(key, None)
    return settings


def settings_fingerprint(cluster: ClusterConfig, owner: str, network: str) -> str:
    material = {
        "settings": applied_settings(cluster),
        "kindConfig": kind_config_yaml(cluster),
        "network": network,
        "registry": {"env": REGISTRY_ENV, "labels": registry_labels(cluster.registry, owner)},
        "mirrors": [{"env": mirror_env(m), "labels": mirror_labels(m, owner)} for m in cluster.mirrors],
        # A new kindplane's mirror entrypoint or DNS options replace every mirror container.
        "mirrorRuntime": {"entrypoint": mirror_entrypoint(), "dns": MIRROR_DNS_OPTIONS},
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
