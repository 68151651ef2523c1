"""`registry du`: bytes per repository of a registry or mirror, shared layers counted once."""

from __future__ import annotations

from dataclasses import dataclass

from .storage_scan import Storage


@dataclass(frozen=True)
class RepositoryUsage:
    name: str
    tags: int
    manifests: int
    size: int  # distinct blobs its manifests need (config, layers, the manifests themselves)
    shared: int  # the part of `size` another repository needs too (counted once in the total)

    @property
    def unique(self) -> int:
        """What deleting this repository (then gc) would free."""
        return self.size - self.shared

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "tags": self.tags,
            "manifests": self.manifests,
            "size": self.size,
            "shared": self.shared,
            "unique": self.unique,
        }


@dataclass(frozen=True)
class StorageUsage:
    total: int  # every blob stored, each once
    referenced: int  # the blobs some manifest needs: what gc keeps
    repositories: tuple[RepositoryUsage, ...]

    @property
    def unreferenced(self) -> int:
        """Bytes `registry gc` would free now (deleted manifests, interrupted uploads)."""
        return self.total - self.referenced

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "referenced": self.referenced,
            "unreferenced": self.unreferenced,
            "repositories": [r.as_dict() for r in self.repositories],
        }


def storage_usage(storage: Storage) -> StorageUsage:
    needs = {
        name: set().union(*(storage.closure(d) for d in repo.revisions)) if repo.revisions else set()
        for name, repo in storage.repositories.items()
    }
    users: dict[str, int] = {}
    for blobs in needs.values():
        for digest in blobs:
            users[digest] = users.get(digest, 0) + 1
    repositories = tuple(
        RepositoryUsage(
            name=name,
            tags=len(storage.repositories[name].tags),
            manifests=len(storage.repositories[name].revisions),
            size=storage.bytes_of(blobs),
            shared=storage.bytes_of(d for d in blobs if users[d] > 1),
        )
        for name, blobs in sorted(needs.items())
    )
    referenced = storage.bytes_of(set().union(*needs.values()) if needs else set())
    return StorageUsage(storage.total, referenced, repositories)
