"""What `kindplane up` prints when it is done: where things are and what to type next."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.naming import kube_context, node_names, registry_cluster_address, registry_host_address

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from ..core.config import KindplaneConfig

EXAMPLE_IMAGE = "my-app:latest"


def summary_lines(config: KindplaneConfig, outputs: dict[str, Any]) -> list[str]:
    """Stack outputs win; the config fills in whatever an older stack did not export."""
    cluster = config.cluster
    name = outputs.get("clusterName") or cluster.name
    nodes = outputs.get("nodeNames") or node_names(cluster)
    lines = [
        f"Cluster   {name} (kubectl context {kube_context(name)})",
        f"Nodes     {', '.join(nodes)}",
    ]
    lines += mirror_lines(config)
    if not cluster.registry.enabled:
        lines += [
            "Registry  disabled (set cluster.registry.enabled: true in kindplane.yaml)",
            "",
            "Next:",
            f"  kubectl --context {kube_context(name)} get nodes",
        ]
        return lines
    host = outputs.get("registryHost") or registry_host_address(cluster.registry)
    in_cluster = outputs.get("registryClusterAddress") or registry_cluster_address(cluster.registry)
    kept = " (persistent: kept on `kindplane down`)" if cluster.registry.persistent else ""
    lines += [
        f"Registry  {host} from the host and in pod specs, {in_cluster} from code inside pods{kept}",
        "",
        "Next:",
        f"  docker tag {EXAMPLE_IMAGE} {host}/{EXAMPLE_IMAGE}",
        f"  docker push {host}/{EXAMPLE_IMAGE}",
        f"  kubectl --context {kube_context(name)} create deployment my-app --image={host}/{EXAMPLE_IMAGE}",
    ]
    return lines


def mirror_lines(config: KindplaneConfig) -> list[str]:
    """One line per pull-through mirror: which pulls it serves, from where, and whether it is kept."""
    lines = []
    for mirror in config.cluster.mirrors:
        kept = "persistent: cache kept on `kindplane down`" if mirror.persistent else "cache removed on `kindplane down`"
        published = f", also on 127.0.0.1:{mirror.host_port}" if mirror.host_port is not None else ""
        lines.append(f"Mirror    {mirror.host} pulls via {mirror.name}:5000 (cache of {mirror.remote}{published}; {kept})")
    return lines
