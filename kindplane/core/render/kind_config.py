"""ClusterConfig → kind's `Cluster` (kind.x-k8s.io/v1alpha4) document.

kindplane's own settings first (kindplane_kind_config), then the user's `cluster.kind` fragment
merged over them (kind_merge), kindplane winning where both set the same thing.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..config import INGRESS_PORTS, ClusterConfig
from ..config.warnings import ConfigWarning
from .containerd import config_path_patch
from .kind_merge import merge_fragment

INGRESS_LABEL = {"ingress-ready": "true"}  # what kind's ingress guide's controllers select on


def kind_config(cluster: ClusterConfig) -> dict[str, Any]:
    return merge_fragment(kindplane_kind_config(cluster), cluster).doc


def kind_config_warnings(cluster: ClusterConfig) -> list[ConfigWarning]:
    """Where cluster.kind asks for something kindplane's own settings override (key path, why)."""
    return merge_fragment(kindplane_kind_config(cluster), cluster).warnings


def kindplane_kind_config(cluster: ClusterConfig) -> dict[str, Any]:
    """The document from kindplane's own keys only (nodes, image, mounts, ports, ingress, registry)."""
    image = cluster.node_image_resolved
    mounts = [
        {"hostPath": m.host_path, "containerPath": m.container_path, "readOnly": m.read_only}
        for m in cluster.extra_mounts
    ]
    ports: list[dict[str, object]] = [
        {
            "containerPort": p.container_port,
            "hostPort": p.host_port,
            "listenAddress": p.listen_address,
            "protocol": p.protocol,
        }
        for p in cluster.port_mappings
    ]
    if cluster.ingress:
        ports = [
            {"containerPort": port, "hostPort": port, "listenAddress": "127.0.0.1", "protocol": "TCP"}
            for port in INGRESS_PORTS
        ] + ports

    def node(role: str, first: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"role": role}
        if image:
            entry["image"] = image
        if first and cluster.ingress:
            entry["labels"] = dict(INGRESS_LABEL)
        if mounts:
            entry["extraMounts"] = [dict(m) for m in mounts]
        # Host ports can be bound once only: kind's convention is the first control plane.
        if first and ports:
            entry["extraPortMappings"] = [dict(p) for p in ports]
        return entry

    nodes = [node("control-plane", i == 0) for i in range(cluster.nodes.control_plane)]
    nodes += [node("worker", False) for _ in range(cluster.nodes.workers)]
    doc: dict[str, Any] = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": cluster.name,
        "nodes": nodes,
    }
    # All are hosts.toml files (trustedCAs: _default/hosts.toml; registries: one per host).
    if cluster.registry.enabled or cluster.mirrors or cluster.trusted_cas or cluster.registries:
        doc["containerdConfigPatches"] = [config_path_patch()]
    return doc


def kind_config_yaml(cluster: ClusterConfig) -> str:
    """The text handed to `kind create cluster --config -` (stable key order, no anchors)."""

    return yaml.dump(kind_config(cluster), Dumper=_KindDumper, sort_keys=False, default_flow_style=False)


class _KindDumper(yaml.SafeDumper):
    """No anchors/aliases (kind's docs never use them) and TOML patches as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_KindDumper.add_representer(str, _str)
