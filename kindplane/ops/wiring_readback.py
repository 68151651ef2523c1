"""Reading back what `up` wired, for kindplane.core.render.drift to compare with the config.

One batch of look-ups: the cluster's node containers (one list call), every running node's
/etc/containerd/certs.d (one archive read per node, the nodes in parallel), the registry's and each
mirror's networks (one inspect each), and the discovery ConfigMap through the API server the state
recorded. When that server no longer answers while kind reports another one for the cluster, the
cluster was made again outside kindplane: the ConfigMap is read there instead.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Optional

from ..core.contract import CLUSTER_TYPE, CONFIGMAP_TYPE, KIND_CLUSTER_LABEL, KIND_ROLE_LABEL, LOAD_BALANCER_ROLE
from ..core.naming import CERTS_DIR
from ..core.render.discovery import CONFIGMAP_NAME, CONFIGMAP_NAMESPACE
from ..core.render.drift import Observed
from .docker_lookup import inspect_container, read_archive
from .kube_api import KubeConfig, KubeUnreachable, get, parse_kubeconfig
from .tools import find_kind, search_path

if TYPE_CHECKING:
    from docker import DockerClient

    from ..core.config import ClusterConfig

CONFIGMAP_PATH = f"/api/v1/namespaces/{CONFIGMAP_NAMESPACE}/configmaps/{CONFIGMAP_NAME}"


@dataclass(frozen=True)
class RecordedWiring:
    """What the state says the last up made: the cluster's nodes, its kubeconfig, whether it holds
    the discovery ConfigMap. Nothing recorded (before the first up): nothing is read back."""

    nodes: tuple[str, ...] = ()
    kubeconfig: Optional[str] = None
    configmap: bool = False


def recorded_wiring(resources: Iterable[dict[str, Any]], kubeconfig: Optional[str] = None) -> RecordedWiring:
    """From the state's resources ({"type", "outputs", …} each): the cluster's nodes and kubeconfig,
    and whether the ConfigMap is there. `kubeconfig`: the plain text, where the state holds it
    encrypted (a checkpoint read outside the engine)."""
    resources = list(resources)
    cluster = next((r.get("outputs") or {} for r in resources if r.get("type") == CLUSTER_TYPE), {})
    nodes = cluster.get("nodeNames")
    recorded = kubeconfig if kubeconfig is not None else cluster.get("kubeconfig")
    return RecordedWiring(
        tuple(str(n) for n in nodes) if isinstance(nodes, list) else (),
        recorded if isinstance(recorded, str) else None,
        any(r.get("type") == CONFIGMAP_TYPE for r in resources),
    )


def read_back(client: DockerClient, cluster: ClusterConfig, recorded: RecordedWiring) -> Observed:
    if not recorded.nodes:
        return Observed()
    containers = client.api.containers(all=True, filters={"label": f"{KIND_CLUSTER_LABEL}={cluster.name}"})
    nodes, running = {}, []
    for container in containers:
        labels = container.get("Labels") or {}
        if labels.get(KIND_ROLE_LABEL) == LOAD_BALANCER_ROLE:
            continue
        name = (container.get("Names") or ["/"])[0].lstrip("/")
        nodes[name] = container.get("State") == "running"
        if nodes[name]:
            running.append((name, container["Id"]))
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(running)))) as pool:
        files = dict(zip([n for n, _ in running], pool.map(lambda node: hosts_files(client, node[1]), running)))
    names = ([cluster.registry.name] if cluster.registry.enabled else []) + [m.name for m in cluster.mirrors]
    networks = {}
    for name in names:
        attrs = inspect_container(client, name)
        if attrs is not None:
            networks[name] = frozenset(((attrs.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    configmap, missing, moved = None, False, None
    if cluster.registry.enabled and recorded.configmap and recorded.kubeconfig and running:
        configmap, missing, moved = read_configmap(cluster.name, recorded.kubeconfig)
    return Observed(recorded.nodes, nodes, files, networks, configmap, missing, moved)


def hosts_files(client: DockerClient, node_id: str) -> dict[str, str]:
    """Every file under the node's certs.d (hosts.toml files, the CAs and keys beside them):
    {absolute path: text} ({} when there is none)."""
    import docker

    try:
        found = read_archive(client, node_id, CERTS_DIR)
    except docker.errors.APIError:  # the node went away meanwhile
        return {}
    parent = CERTS_DIR.rsplit("/", 1)[0]
    return {f"{parent}/{name}": text for name, text in (found or {}).items()}  # none: no certs.d at all


def read_configmap(cluster: str, kubeconfig: str) -> tuple[Optional[dict], bool, Optional[str]]:
    """(its data, missing, the API server's new address when the cluster was made again outside
    kindplane); (None, False, None) when no API server of the cluster answers."""
    recorded = parse_kubeconfig(kubeconfig)
    if recorded is None:
        return None, False, None
    moved = None
    try:
        status, body = get(recorded, CONFIGMAP_PATH)
    except KubeUnreachable:
        live = live_kubeconfig(cluster)
        if live is None or live.server == recorded.server:
            return None, False, None  # silent: the CLI's preflight says how to start it
        try:
            status, body = get(live, CONFIGMAP_PATH)
        except KubeUnreachable:
            return None, False, None
        moved = live.server
    if status == 404:
        return None, True, moved
    if status != 200:
        return None, False, moved
    return dict(body.get("data") or {}), False, moved


def live_kubeconfig(cluster: str) -> Optional[KubeConfig]:
    """What `kind get kubeconfig` says of the cluster now (kind reads it from the node)."""
    kind = find_kind()
    if kind is None:
        return None
    try:
        done = subprocess.run(
            [kind, "get", "kubeconfig", "--name", cluster],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PATH": search_path()},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_kubeconfig(done.stdout) if done.returncode == 0 else None
