"""KEP-1755 `local-registry-hosting` ConfigMap: how tools discover the local registry."""

from __future__ import annotations

import json

from ..config import RegistryConfig
from ..naming import HELP_URL, registry_cluster_address, registry_host_address

CONFIGMAP_NAME = "local-registry-hosting"
CONFIGMAP_NAMESPACE = "kube-public"
# Nothing depends on the ConfigMap, so its delete need not wait for the garbage collector
# (pulumi-kubernetes deletes in the foreground by default, which waits for kube-controller-
# manager): destroy stays quick on a control plane whose controllers are slow or gone.
CONFIGMAP_ANNOTATIONS = {"pulumi.com/deletionPropagationPolicy": "background"}
CONFIGMAP_KEY = "localRegistryHosting.v1"


def local_registry_hosting(registry: RegistryConfig) -> dict[str, str]:
    in_cluster = registry_cluster_address(registry)
    value = {
        "host": registry_host_address(registry),
        "hostFromContainerRuntime": in_cluster,
        "hostFromClusterNetwork": in_cluster,
        "help": HELP_URL,
    }
    # JSON strings are valid YAML scalars: the same quoted form kind's documentation shows.
    text = "".join(f"{key}: {json.dumps(val)}\n" for key, val in value.items())
    return {CONFIGMAP_KEY: text}
