"""Reading a kind `Cluster` config the way kind v0.2x does, for the `kind` stand-in.

kind decodes strictly: unknown fields and duplicate keys are errors, apiVersion must be
kind.x-k8s.io/v1alpha4 and kind `Cluster`, roles are `control-plane` or `worker`, and there must
be at least one control plane. No nodes at all means kind's default: one control plane.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

API_VERSION = "kind.x-k8s.io/v1alpha4"
ROLES = ("control-plane", "worker")
CLUSTER_NAME = re.compile(r"^[a-z0-9.-]+$")  # kind's validate: `^[a-z0-9.-]+$`

CLUSTER_FIELDS = {
    "kind",
    "apiVersion",
    "name",
    "nodes",
    "networking",
    "featureGates",
    "runtimeConfig",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
    "containerdConfigPatches",
    "containerdConfigPatchesJSON6902",
}
NODE_FIELDS = {
    "role",
    "image",
    "labels",
    "extraMounts",
    "extraPortMappings",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
}
MOUNT_FIELDS = {"hostPath", "containerPath", "readOnly", "selinuxRelabel", "propagation"}
PORT_FIELDS = {"containerPort", "hostPort", "listenAddress", "protocol"}
PROTOCOLS = ("TCP", "UDP", "SCTP")


class KindConfigError(ValueError):
    pass


@dataclass
class Node:
    role: str
    image: str | None = None
    extra_mounts: list[dict] = field(default_factory=list)
    extra_port_mappings: list[dict] = field(default_factory=list)


@dataclass
class Cluster:
    name: str | None
    nodes: list[Node]
    containerd_config_patches: list[str]
    containerd_config_patches_json6902: list[str] = field(default_factory=list)

    @property
    def control_planes(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "control-plane"]

    @property
    def workers(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "worker"]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, as kind's strict decoder does."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise KindConfigError(f'yaml: unmarshal errors: mapping key "{key}" already defined')
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _unknown(where: str, data: dict, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise KindConfigError(
                f'error unmarshaling JSON: while decoding JSON: json: unknown field "{key}" ({where})'
            )


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise KindConfigError(f"{where} must be a list")
    return value


def parse(text: str) -> Cluster:
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise KindConfigError(f"unable to decode config: {exc}") from None
    if not isinstance(data, dict):
        raise KindConfigError("unable to decode config: expected a mapping")
    if data.get("kind") != "Cluster":
        raise KindConfigError(f'unknown kind "{data.get("kind", "")}" for apiVersion "{data.get("apiVersion", "")}"')
    if data.get("apiVersion") != API_VERSION:
        raise KindConfigError(f"unknown apiVersion: {data.get('apiVersion', '')}")
    _unknown("Cluster", data, CLUSTER_FIELDS)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise KindConfigError("name must be a string")
    nodes = []
    for i, raw in enumerate(_list(data.get("nodes"), "nodes")):
        if not isinstance(raw, dict):
            raise KindConfigError(f"nodes[{i}] must be a mapping")
        _unknown(f"nodes[{i}]", raw, NODE_FIELDS)
        role = raw.get("role", "control-plane")
        if role not in ROLES:
            raise KindConfigError(f"invalid configuration for node {i}: '{role}' is not a valid node role")
        mounts = _list(raw.get("extraMounts"), f"nodes[{i}].extraMounts")
        for m in mounts:
            _unknown(f"nodes[{i}].extraMounts", m, MOUNT_FIELDS)
        ports = _list(raw.get("extraPortMappings"), f"nodes[{i}].extraPortMappings")
        for p in ports:
            _unknown(f"nodes[{i}].extraPortMappings", p, PORT_FIELDS)
            for key in ("containerPort", "hostPort"):
                value = p.get(key, 0)
                if not isinstance(value, int) or not -1 <= value <= 65535:
                    raise KindConfigError(f"invalid configuration for node {i}: invalid {key}: {value}")
            if p.get("protocol", "TCP") not in PROTOCOLS:
                raise KindConfigError(f"invalid configuration for node {i}: invalid protocol: {p.get('protocol')}")
        nodes.append(Node(role, raw.get("image"), mounts, ports))
    if not nodes:
        nodes = [Node("control-plane")]
    if not any(n.role == "control-plane" for n in nodes):
        raise KindConfigError("invalid configuration: must have at least one node with role control-plane")
    patches = _list(data.get("containerdConfigPatches"), "containerdConfigPatches")
    for i, patch in enumerate(patches):
        if not isinstance(patch, str):
            raise KindConfigError(f"containerdConfigPatches[{i}] must be a string")
    patches_6902 = _list(data.get("containerdConfigPatchesJSON6902"), "containerdConfigPatchesJSON6902")
    for i, patch in enumerate(patches_6902):
        if not isinstance(patch, str):
            raise KindConfigError(f"containerdConfigPatchesJSON6902[{i}] must be a string")
    return Cluster(name, nodes, patches, patches_6902)


def validate_name(name: str) -> None:
    if not CLUSTER_NAME.match(name):
        raise KindConfigError(f"'{name}' is not a valid cluster name, cluster names must match `^[a-z0-9.-]+$`")
    if len(name) > 50:
        raise KindConfigError(f"cluster name '{name}' is too long (at most 50 characters)")
