"""What the Pulumi state says, read as pure functions over an exported deployment (or its
resources): which clusters, registries and mirrors a stack holds, their fates on `down`, the
outputs the last update wrote. `up`, `down`, `ls`, `status` and the plan check share these; the
engine driver (engine.py) only fetches the deployment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ..core.contract import (
    COMMAND_TYPE,
    CONTAINER_TYPE,
    MIRROR_TYPE,
    SHARED_REGISTRY_TYPE,
    STACK_TYPE,
    VOLUME_TYPE,
    cluster_created_by,
)


@dataclass(frozen=True)
class RegistryFate:
    """What destroying the stack does to the registry, read from the state (not kindplane.yaml).

    The retain flag Pulumi acts on is the one the last `up` wrote, so a `persistent` toggled in
    kindplane.yaml since then does not count yet.
    """

    container: str
    kept: bool
    volume: Optional[str]  # the named volume holding the images, when the state has one
    external: bool = False  # external: true: another owner's registry, never this stack's to delete


@dataclass(frozen=True)
class RecordedWorld:
    """What the state says exists in Docker: `up` compares it with Docker before choosing one
    engine run (`up --refresh`) over refresh, plan and update."""

    containers: Mapping[str, str] = field(default_factory=dict)  # container name → ID
    volumes: frozenset[str] = frozenset()
    pending: bool = True  # an interrupted run left operations pending (or the state is unread)


def holds_resources(deployment: Mapping[str, Any]) -> bool:
    """Whether the state holds anything a plan could destroy (not after a down, not new): more
    than the stack itself and its providers."""
    return any(
        r.get("type") != STACK_TYPE and not str(r.get("type")).startswith("pulumi:providers:")
        for r in deployment.get("resources") or []
    )


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def kind_cluster_of(resource: dict) -> Optional[str]:
    """The cluster name a `kind create cluster --name X` command resource manages, if it is one."""
    if resource.get("type") != COMMAND_TYPE:
        return None
    return cluster_created_by((resource.get("inputs") or {}).get("create") or "")


def recorded_world_of(deployment: dict) -> RecordedWorld:
    containers, volumes = {}, set()
    for resource in deployment.get("resources") or []:
        outputs = resource.get("outputs") or {}
        if resource.get("type") == CONTAINER_TYPE and outputs.get("name") and resource.get("id"):
            containers[outputs["name"]] = resource["id"]
        elif resource.get("type") == VOLUME_TYPE and outputs.get("name"):
            volumes.add(outputs["name"])
    return RecordedWorld(containers, frozenset(volumes), pending=bool(deployment.get("pending_operations")))


def pending_clusters_of(deployment: dict) -> set[str]:
    return {
        name
        for op in deployment.get("pending_operations") or []
        if op.get("type") == "creating" and (name := kind_cluster_of(op.get("resource") or {}))
    }


MIRROR_COMPONENT = f"{MIRROR_TYPE}$"  # in the URN of every resource a mirror component holds


def registry_fate_of(resources: list[dict]) -> Optional[RegistryFate]:
    # Pull-through mirrors are containers and volumes too: only the local registry's count here.
    resources = [r for r in resources if MIRROR_COMPONENT not in (r.get("urn") or "")]
    container = next((r for r in resources if r.get("type") == CONTAINER_TYPE), None)
    if container is None:
        shared = next((r for r in resources if r.get("type") == SHARED_REGISTRY_TYPE), None)
        if shared is None:
            return None
        return RegistryFate((shared.get("outputs") or {}).get("name") or "?", True, None, external=True)
    volume = next((r for r in resources if r.get("type") == VOLUME_TYPE), None)
    name = (container.get("outputs") or {}).get("name") or (container.get("inputs") or {}).get("name") or "?"
    volume_name = ((volume or {}).get("outputs") or {}).get("name") or ((volume or {}).get("inputs") or {}).get("name")
    # A kept registry adopted on a later up is read (external), which destroy never deletes either.
    kept = bool(container.get("retainOnDelete") or container.get("external"))
    return RegistryFate(name, kept, volume_name)


def mirror_fates_of(resources: list[dict]) -> list[RegistryFate]:
    """Each mirror container in the state, and whether destroy keeps it (persistent, or read)."""
    return [
        RegistryFate(
            (r.get("outputs") or {}).get("name") or (r.get("inputs") or {}).get("name") or "?",
            bool(r.get("retainOnDelete") or r.get("external")),
            None,
        )
        for r in resources
        if r.get("type") == CONTAINER_TYPE and MIRROR_COMPONENT in (r.get("urn") or "")
    ]


def stack_outputs_of(resources: list[dict]) -> dict[str, Any]:
    """The root stack's outputs: what the last update exported (configFile, appliedSettings, …)."""
    root = next((r for r in resources if r.get("type") == STACK_TYPE), None)
    return dict((root or {}).get("outputs") or {})
