"""What `kindplane up` prints when it is done: where things are and what to type next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.contract import (
    OUTPUT_CLUSTER_NAME,
    OUTPUT_NODE_NAMES,
    OUTPUT_REGISTRY_CLUSTER_ADDRESS,
    OUTPUT_REGISTRY_HOST,
)
from ..core.naming import (
    kube_context,
    mirror_cluster_address,
    node_names,
    registry_cluster_address,
    registry_host_address,
)

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from ..core.config import KindplaneConfig

EXAMPLE_IMAGE = "my-app:latest"


def summary_data(config: KindplaneConfig, outputs: dict[str, Any]) -> dict[str, Any]:
    """What `up` made, as `up -o json` prints it. Stack outputs win; the config fills in whatever
    an older stack did not export."""
    cluster = config.cluster
    name = outputs.get(OUTPUT_CLUSTER_NAME) or cluster.name
    data: dict[str, Any] = {
        "cluster": {
            "name": name,
            "kubeContext": kube_context(name),
            "nodes": list(outputs.get(OUTPUT_NODE_NAMES) or node_names(cluster)),
        },
        "registry": None,
        "mirrors": [
            {"host": m.host, "name": m.name, "remote": m.remote, "persistent": m.persistent} for m in cluster.mirrors
        ],
    }
    if cluster.registry.enabled:
        data["registry"] = {
            "name": cluster.registry.name,
            "host": outputs.get(OUTPUT_REGISTRY_HOST) or registry_host_address(cluster.registry),
            "clusterAddress": outputs.get(OUTPUT_REGISTRY_CLUSTER_ADDRESS)
            or registry_cluster_address(cluster.registry),
            "persistent": cluster.registry.persistent,
            "external": cluster.registry.external,
        }
    return data


def summary_lines(config: KindplaneConfig, outputs: dict[str, Any]) -> list[str]:
    data = summary_data(config, outputs)
    cluster, registry = data["cluster"], data["registry"]
    context = cluster["kubeContext"]
    lines = [
        f"Cluster   {cluster['name']} (kubectl context {context})",
        f"Nodes     {', '.join(cluster['nodes'])}",
    ]
    lines += mirror_lines(config)
    if registry is None:
        lines += [
            "Registry  disabled (set cluster.registry.enabled: true in kindplane.yaml)",
            "",
            "Next:",
            f"  kubectl --context {context} get nodes",
        ]
        return lines
    host = registry["host"]
    kept = " (persistent: kept on `kindplane down`)" if registry["persistent"] else ""
    if registry["external"]:
        kept = " (external: shared, never deleted by this stack)"
    lines += [
        f"Registry  {host} from the host and in pod specs, {registry['clusterAddress']} from code inside pods{kept}",
        "",
        "Next:",
        f"  docker tag {EXAMPLE_IMAGE} {host}/{EXAMPLE_IMAGE}",
        f"  docker push {host}/{EXAMPLE_IMAGE}",
        f"  kubectl --context {context} create deployment my-app --image={host}/{EXAMPLE_IMAGE}",
    ]
    return lines


def mirror_lines(config: KindplaneConfig) -> list[str]:
    """One line per pull-through mirror: which pulls it serves, from where, and whether it is kept."""
    lines = []
    for mirror in config.cluster.mirrors:
        kept = (
            "persistent: cache kept on `kindplane down`" if mirror.persistent else "cache removed on `kindplane down`"
        )
        published = f", also on 127.0.0.1:{mirror.host_port}" if mirror.host_port is not None else ""
        lines.append(
            f"Mirror    {mirror.host} pulls via {mirror_cluster_address(mirror)} (cache of "
            f"{mirror.remote}{published}; {kept})"
        )
    return lines
