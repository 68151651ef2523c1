"""Every host port a kindplane.yaml publishes, with the key that asks for it.

Read from the kind config kindplane renders (so a fragment port the merge drops is not counted)
plus the mirrors' hostPorts. The registry's port is checked on its own (preflight.registry_problems):
its container may already be ours under another stack's rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..config import INGRESS_PORTS, ClusterConfig
from ..naming import LOOPBACK
from .kind_config import kind_config

KIND_DEFAULT_LISTEN = "0.0.0.0"  # kind's default for extraPortMappings[].listenAddress
KIND_DEFAULT_API_ADDRESS = "127.0.0.1"  # kind's default for networking.apiServerAddress


@dataclass(frozen=True)
class HostPort:
    key: str  # "cluster.portMappings[0].hostPort"
    address: str
    port: int
    protocol: str  # TCP, UDP or SCTP
    mirror: Optional[str] = None  # the mirror container publishing it; None: the cluster's nodes


def cluster_host_ports(cluster: ClusterConfig) -> list[HostPort]:
    """Host ports the cluster's nodes publish, then each mirror's hostPort."""
    found: list[HostPort] = []
    for i, node in enumerate(kind_config(cluster)["nodes"]):
        found += _node_ports(cluster, i, node.get("extraPortMappings") or [])
    networking = cluster.kind.networking
    if networking is not None and networking.api_server_port:  # 0 or unset: kind picks a free port
        address = networking.api_server_address or KIND_DEFAULT_API_ADDRESS
        found.append(HostPort("cluster.kind.networking.apiServerPort", address, networking.api_server_port, "TCP"))
    found += [
        HostPort(f"cluster.mirrors[{i}].hostPort", LOOPBACK, m.host_port, "TCP", m.name)
        for i, m in enumerate(cluster.mirrors)
        if m.host_port is not None
    ]
    return found


def _node_ports(cluster: ClusterConfig, index: int, rendered: list[dict]) -> list[HostPort]:
    # kindplane's own mappings come first on the first node (ingress, then portMappings); the
    # fragment's surviving entries follow in their own order.
    ours: list[str] = []
    if index == 0:
        ours = ["cluster.ingress" for _ in INGRESS_PORTS if cluster.ingress]
        ours += [f"cluster.portMappings[{j}].hostPort" for j in range(len(cluster.port_mappings))]
    fragment = cluster.kind.nodes[index].extra_port_mappings if index < len(cluster.kind.nodes) else []
    written: list[dict | None] = [p.model_dump(by_alias=True, exclude_none=True) for p in fragment]
    keys = list(ours)
    for entry in rendered[len(ours) :]:
        j = written.index(entry)
        written[j] = None  # a duplicate entry maps to the next one
        keys.append(f"cluster.kind.nodes[{index}].extraPortMappings[{j}].hostPort")
    return [
        HostPort(key, e.get("listenAddress") or KIND_DEFAULT_LISTEN, e["hostPort"], e.get("protocol") or "TCP")
        for key, e in zip(keys, rendered, strict=True)
        if e["hostPort"]  # hostPort 0: Docker picks one
    ]
