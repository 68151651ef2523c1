"""Merging `cluster.kind` (a kind Cluster fragment) into the config kindplane renders.

Rules, each chosen so that what kindplane manages keeps working:
- name, node count and roles, the node image kindplane resolved, and kindplane's mounts, host
  ports and labels win; the fragment's conflicting value is dropped with a warning.
- `nodes[i]` merges into the i-th node kindplane makes (control planes first, then workers, the
  order `kindplane config kind` prints); entries past the last node are dropped with a warning.
- Lists (patches, mounts, port mappings) are kept; containerd patches go BEFORE kindplane's
  config_path patch, because kind applies them in order and the last value wins: the registry's
  hosts.toml directory must stay the one kindplane writes.
- Everything kindplane does not set (networking, featureGates, runtimeConfig, kubeadm patches)
  is copied as written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..config import INGRESS_PORTS, ClusterConfig
from ..config.warnings import ConfigWarning
from ..kind_fragment import KindFragment, KindNode, tomllib
from ..naming import CERTS_DIR

KIND_KEY = "cluster.kind"


@dataclass
class Merged:
    doc: dict[str, Any]
    warnings: list[ConfigWarning] = field(default_factory=list)


def merge_fragment(base: dict[str, Any], cluster: ClusterConfig) -> Merged:
    fragment: KindFragment = cluster.kind
    doc = copy.deepcopy(base)
    out = Merged(doc)
    if fragment.is_empty():
        return out
    if fragment.name is not None and fragment.name != cluster.name:
        out.warnings.append(
            ConfigWarning(f"{KIND_KEY}.name", f"ignored: the cluster is named {cluster.name!r} by cluster.name")
        )

    taken = _host_ports(doc, cluster)
    for i, node in enumerate(fragment.nodes):
        path = f"{KIND_KEY}.nodes[{i}]"
        if i >= len(doc["nodes"]):
            out.warnings.append(
                ConfigWarning(
                    path,
                    (
                        f"ignored: kindplane makes {len(doc['nodes'])} node(s) from cluster.nodes "
                        f"(controlPlane: {cluster.nodes.control_plane}, workers: {cluster.nodes.workers}); "
                        "raise those to add nodes"
                    ),
                )
            )
            continue
        _merge_node(doc["nodes"][i], node, path, taken, out.warnings)

    extra: dict[str, Any] = {}
    if fragment.networking is not None:
        extra["networking"] = fragment.networking.model_dump(by_alias=True, exclude_none=True)
    if fragment.feature_gates:
        extra["featureGates"] = dict(fragment.feature_gates)
    if fragment.runtime_config:
        extra["runtimeConfig"] = dict(fragment.runtime_config)
    if fragment.kubeadm_config_patches:
        extra["kubeadmConfigPatches"] = list(fragment.kubeadm_config_patches)
    if fragment.kubeadm_config_patches_json6902:
        extra["kubeadmConfigPatchesJSON6902"] = [
            p.model_dump(by_alias=True) for p in fragment.kubeadm_config_patches_json6902
        ]
    ours = doc.pop("containerdConfigPatches", [])
    patches = list(fragment.containerd_config_patches) + ours
    if ours:
        out.warnings += _config_path_overrides(fragment.containerd_config_patches)
    if patches:
        extra["containerdConfigPatches"] = patches
    if fragment.containerd_config_patches_json6902:
        extra["containerdConfigPatchesJSON6902"] = list(fragment.containerd_config_patches_json6902)
    doc.update(extra)
    return out


def _merge_node(
    entry: dict[str, Any], node: KindNode, path: str, taken: dict[tuple[int, str], str], warnings: list[ConfigWarning]
) -> None:
    if node.role is not None and node.role != entry["role"]:
        warnings.append(
            ConfigWarning(
                f"{path}.role",
                (
                    f"ignored: this is a {entry['role']} node; roles come from cluster.nodes (control planes "
                    "first, then workers)"
                ),
            )
        )
    if node.image is not None:
        if "image" in entry and entry["image"] != node.image:
            warnings.append(
                ConfigWarning(
                    f"{path}.image",
                    f"ignored: kindplane uses {entry['image']} (cluster.nodeImage or cluster.kubernetesVersion)",
                )
            )
        else:
            entry["image"] = node.image

    if node.labels:
        labels = dict(node.labels)
        for key, value in entry.get("labels", {}).items():
            if key in labels and labels[key] != value:
                warnings.append(
                    ConfigWarning(f"{path}.labels.{key}", f"ignored: kindplane sets {key}={value} (cluster.ingress)")
                )
            labels[key] = value
        entry["labels"] = labels

    mounts = entry.get("extraMounts", [])
    ours = {m["containerPath"] for m in mounts}
    for j, mount in enumerate(node.extra_mounts):
        if mount.container_path in ours:
            warnings.append(
                ConfigWarning(
                    f"{path}.extraMounts[{j}].containerPath",
                    f"ignored: cluster.extraMounts already mounts {mount.container_path} on every node",
                )
            )
            continue
        mounts.append(
            {"hostPath": mount.host_path, "containerPath": mount.container_path}
            | mount.model_dump(by_alias=True, exclude_defaults=True)
        )
    if mounts:
        entry["extraMounts"] = mounts

    ports = entry.get("extraPortMappings", [])
    for j, port in enumerate(node.extra_port_mappings):
        owner = taken.get((port.host_port, port.protocol))
        if owner:
            warnings.append(
                ConfigWarning(
                    f"{path}.extraPortMappings[{j}].hostPort",
                    f"ignored: host port {port.host_port}/{port.protocol} is taken by {owner}",
                )
            )
            continue
        ports.append(port.model_dump(by_alias=True, exclude_none=True))
    if ports:
        entry["extraPortMappings"] = ports

    if node.kubeadm_config_patches:
        entry["kubeadmConfigPatches"] = list(node.kubeadm_config_patches)
    if node.kubeadm_config_patches_json6902:
        entry["kubeadmConfigPatchesJSON6902"] = [
            p.model_dump(by_alias=True) for p in node.kubeadm_config_patches_json6902
        ]


def _host_ports(doc: dict[str, Any], cluster: ClusterConfig) -> dict[tuple[int, str], str]:
    """Host ports kindplane binds itself, by (port, protocol) → the key that asked for it."""
    taken: dict[tuple[int, str], str] = {}
    if cluster.registry.enabled:
        taken[(cluster.registry.port, "TCP")] = "cluster.registry.port"
    for node in doc["nodes"]:
        for port in node.get("extraPortMappings", []):
            owner = (
                "cluster.ingress"
                if cluster.ingress and port["hostPort"] in INGRESS_PORTS and port["protocol"] == "TCP"
                else "cluster.portMappings"
            )
            taken.setdefault((port["hostPort"], port["protocol"]), owner)
    return taken


def _config_path_overrides(patches: list[str]) -> list[ConfigWarning]:
    """A fragment patch setting the CRI registry config_path loses to kindplane's (applied last)."""
    found = []
    for i, patch in enumerate(patches):
        if _sets_registry_config_path(tomllib.loads(patch)):
            found.append(
                ConfigWarning(
                    f"{KIND_KEY}.containerdConfigPatches[{i}]",
                    "its registry config_path is overridden: kindplane's patch (applied after it) points "
                    f"containerd at {CERTS_DIR}, where the local registry's hosts.toml lives",
                )
            )
    return found


def _sets_registry_config_path(table: dict[str, Any]) -> bool:
    for key, value in table.items():
        if isinstance(value, dict):
            if key == "registry" and "config_path" in value:
                return True
            if _sets_registry_config_path(value):
                return True
    return False
