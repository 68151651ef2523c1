"""Which other kind clusters pull through a registry: what `down` checks before deleting it.

A cluster uses the registry when its nodes' containerd hosts.toml sends pulls to
`http://<name>:5000` — what kindplane writes with `external: true` (and for its mirrors), and
what kind's registry script and ctlptl write. Only running clusters can be asked; a stopped one
is not counted. The caller names the clusters that are its own (every cluster its state
records, an old name after a rename included): those are never "other users".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Collection

from ...core.contract import KIND_CLUSTER_LABEL, KIND_ROLE_LABEL, LOAD_BALANCER_ROLE
from ...core.naming import CERTS_DIR, REGISTRY_CONTAINER_PORT

if TYPE_CHECKING:
    from docker import DockerClient


def one_node_per_cluster(containers: list[dict], except_clusters: Collection[str]) -> dict[str, str]:
    """cluster name → the ID of one of its containerd nodes (the first by name)."""
    picked: dict[str, tuple[str, str]] = {}
    for c in containers:
        labels = c.get("Labels") or {}
        cluster = labels.get(KIND_CLUSTER_LABEL)
        if not cluster or cluster in except_clusters or labels.get(KIND_ROLE_LABEL) == LOAD_BALANCER_ROLE:
            continue
        name = (c.get("Names") or [""])[0]
        if cluster not in picked or name < picked[cluster][0]:
            picked[cluster] = (name, c["Id"])
    return {cluster: node_id for cluster, (_, node_id) in sorted(picked.items())}


def pulls_through(client: DockerClient, node_id: str, registry_name: str) -> bool:
    """The node has a hosts.toml whose host is this registry's in-network address."""
    import docker

    host = f"http://{registry_name}:{REGISTRY_CONTAINER_PORT}"
    try:
        exec_id = client.api.exec_create(node_id, ["grep", "-rqsF", host, CERTS_DIR], stdout=True, stderr=True)["Id"]
        client.api.exec_start(exec_id)
        return client.api.exec_inspect(exec_id).get("ExitCode") == 0
    except docker.errors.APIError:  # stopped or removed since it was listed
        return False


def clusters_using_registry(client: DockerClient, registry_name: str, except_clusters: Collection[str]) -> list[str]:
    """Running kind clusters, other than `except_clusters`, whose nodes pull through the registry
    (or mirror) of this container name."""
    if isinstance(except_clusters, str):
        raise TypeError("except_clusters is a collection of cluster names, not one name")
    running = client.api.containers(filters={"label": KIND_CLUSTER_LABEL, "status": "running"})
    nodes = one_node_per_cluster(running, except_clusters)
    return [cluster for cluster, node_id in nodes.items() if pulls_through(client, node_id, registry_name)]
