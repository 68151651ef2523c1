"""Things in a valid kindplane.yaml that will not do what they say: printed by validate/up.

Each is a key path and a sentence, like a ConfigProblem, but nothing stops: kindplane's own
setting wins (cluster.kind) or the user asked for an image kind did not build.
"""
from __future__ import annotations

from .config import ClusterConfig
from .node_images import resolve_node_image
from .render.kind_merge import KindWarning
from .render.kind_config import kind_config_warnings


def config_warnings(cluster: ClusterConfig) -> list[KindWarning]:
    found: list[KindWarning] = []
    if cluster.kubernetes_version and not cluster.node_image:
        warning = resolve_node_image(cluster.kubernetes_version).warning
        if warning:
            found.append(KindWarning("cluster.kubernetesVersion", warning))
    return found + kind_config_warnings(cluster)
