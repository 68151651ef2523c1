"""The registries a config owns storage in (its local registry, each mirror) and what du, prune and
the size caps do to them, through the running containers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ...core.naming import registry_cluster_address, registry_host_address
from .disk_usage import StorageUsage, storage_usage
from .pod_images import ImageUse, protected_for
from .prune_plan import PrunePlan, Retention, plan_prune, removal_paths
from .push_gc import GcResult, OpsError, RegistryContainer, collect_garbage, disk_usage, registry_container
from .storage_scan import Storage, read_storage

if TYPE_CHECKING:
    from docker import DockerClient

    from ...core.config import KindplaneConfig


@dataclass(frozen=True)
class Store:
    role: str  # "registry" or "mirror"
    name: str  # its container
    hosts: tuple[str, ...]  # the registry hosts pod images name it by
    title: str  # how the user knows it: its address, or host → remote
    max_size: Optional[int] = None  # a mirror's maxSize, bytes

    def as_dict(self) -> dict:
        return {
            "role": self.role,
            "name": self.name,
            "hosts": list(self.hosts),
            "title": self.title,
            "maxSize": self.max_size,
        }


def stores(config: KindplaneConfig) -> list[Store]:
    found = []
    registry = config.cluster.registry
    if registry.enabled:
        found.append(
            Store(
                "registry",
                registry.name,
                (registry_host_address(registry), registry_cluster_address(registry)),
                registry_host_address(registry),
            )
        )
    for mirror in config.cluster.mirrors:
        found.append(
            Store("mirror", mirror.name, (mirror.host,), f"{mirror.host} → {mirror.remote}", mirror.max_size_bytes)
        )
    return found


@dataclass(frozen=True)
class Inspected:
    store: Store
    container: RegistryContainer
    storage: Storage
    on_disk: int  # `du -sb` of the storage root: blobs, links, upload leftovers

    def usage(self) -> StorageUsage:
        return storage_usage(self.storage)


def inspect_store(store: Store, client: Optional[DockerClient] = None) -> Inspected:
    container = registry_container(store.name, client, what=store.role)
    storage = read_storage(container.read, container.storage_root)
    return Inspected(store, container, storage, disk_usage(container.run, container.storage_root))


@dataclass(frozen=True)
class PruneResult:
    inspected: Inspected
    plan: PrunePlan
    gc: Optional[GcResult]  # None for a dry run, or when nothing was removed and nothing is unreferenced


def prune_store(
    inspected: Inspected,
    retention: Retention,
    uses: Optional[list[ImageUse]],
    force: bool,
    dry_run: bool,
    now: Optional[float] = None,
) -> PruneResult:
    """Plans (and unless dry_run, does) the removals, then gc and a restart of the container."""
    protected = protected_for(uses or [], inspected.store.hosts)
    plan = plan_prune(inspected.storage, retention, time.time() if now is None else now, protected, force)
    if dry_run or (not plan.removals and plan.frees == 0):
        return PruneResult(inspected, plan, None)
    container = inspected.container
    before = disk_usage(container.run, container.storage_root)
    paths = removal_paths(inspected.storage, plan)
    if paths:
        code, output = container.run(["rm", "-rf", "--", *paths])
        if code != 0:
            raise OpsError(f"removing tags and manifests in {container.name} failed: {output.strip()}")
    collected = collect_garbage(container.run, container.config_path, container.storage_root)
    container.restart(wait=30)  # its blob descriptor cache would still claim the collected blobs
    return PruneResult(inspected, plan, GcResult(before, collected.after, collected.output))
