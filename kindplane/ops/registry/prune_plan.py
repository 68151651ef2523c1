"""`registry prune`: which tags and manifests go, decided from the storage alone (pure), then done.

Retention (the local registry and mirrors alike): with `keep_last` N, the N most recently written
tags of each repository stay; with `keep_younger_than` D, tags written within D stay; with both, a
tag stays when either rule keeps it. An untagged manifest (an earlier push of a re-pushed tag)
has no rank: it goes unless the age rule keeps it. A size cap (a mirror's maxSize) then removes
whole images, least recently used first, until what gc keeps fits.

Nothing a pod still needs goes unless forced: `protected` maps (repository, tag or digest) to the
pod using it, and a protected tag protects the manifests it needs (an index's platforms too).

Doing it: the tag and revision directories are removed in the container (what distribution's own
tag and manifest deletes remove; a mirror refuses deletes over the API), then the registry's gc
frees the blobs nothing references any more, and the container is restarted to drop its
in-memory blob descriptor cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .storage_scan import Storage


@dataclass(frozen=True)
class Retention:
    keep_last: Optional[int] = None
    keep_younger_than: Optional[float] = None  # seconds
    max_size: Optional[int] = None  # bytes gc may keep at most (least recently used images go first)

    @property
    def is_empty(self) -> bool:
        return self.keep_last is None and self.keep_younger_than is None and self.max_size is None


@dataclass(frozen=True)
class Removal:
    repository: str
    digest: str
    tags: tuple[str, ...]  # the tags removed with it; () for an untagged manifest or a tag-only removal
    reason: str
    manifest: bool = True  # False: only the tags go (another kept tag still points at the digest)
    children: tuple[str, ...] = ()  # an index's platform manifests that go with it

    def as_dict(self) -> dict:
        return {
            "repository": self.repository,
            "digest": self.digest,
            "tags": list(self.tags),
            "manifest": self.manifest,
            "children": list(self.children),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Protected:
    repository: str
    reference: str
    pod: str

    def as_dict(self) -> dict:
        return {"repository": self.repository, "reference": self.reference, "pod": self.pod}


@dataclass
class PrunePlan:
    removals: list[Removal] = field(default_factory=list)
    protected: list[Protected] = field(default_factory=list)  # what a rule would remove, kept for a pod
    frees: int = 0  # bytes gc frees after the removals (already-unreferenced bytes included)
    size_before: int = 0  # bytes gc keeps now
    size_after: int = 0  # bytes gc keeps after

    def as_dict(self) -> dict:
        return {
            "removals": [r.as_dict() for r in self.removals],
            "protected": [p.as_dict() for p in self.protected],
            "frees": self.frees,
            "sizeBefore": self.size_before,
            "sizeAfter": self.size_after,
        }


def _age(now: float, written: float) -> float:
    return max(now - written, 0.0)


def human_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def plan_prune(
    storage: Storage,
    retention: Retention,
    now: float,
    protected: Optional[dict[tuple[str, str], str]] = None,
    force: bool = False,
) -> PrunePlan:
    protected = {} if force else dict(protected or {})
    plan = PrunePlan()
    gone: set[tuple[str, str]] = set()  # (repository, manifest digest) revisions removed
    for repo in storage.repositories.values():
        _plan_repository(storage, repo, retention, now, protected, plan, gone)
    if retention.max_size is not None:
        _plan_size_cap(storage, retention.max_size, now, protected, plan, gone)
    referenced_now = storage.referenced()
    referenced_after = storage.referenced(skip=gone)
    plan.size_before = storage.bytes_of(referenced_now)
    plan.size_after = storage.bytes_of(referenced_after)
    plan.frees = storage.total - plan.size_after
    return plan


def _in_use(protected: dict[tuple[str, str], str], repository: str, *references: str) -> Optional[str]:
    return next((protected[(repository, r)] for r in references if (repository, r) in protected), None)


def _plan_repository(
    storage: Storage,
    repo,
    retention: Retention,
    now: float,
    protected: dict[tuple[str, str], str],
    plan: PrunePlan,
    gone: set[tuple[str, str]],
) -> None:
    rules = retention.keep_last is not None or retention.keep_younger_than is not None
    ranked = sorted(repo.tags.values(), key=lambda t: (-t.written, t.name))
    dropped: list = []
    kept: list = []
    for rank, tag in enumerate(ranked):
        by_rank = retention.keep_last is not None and rank < retention.keep_last
        by_age = retention.keep_younger_than is not None and _age(now, tag.written) < retention.keep_younger_than
        if not rules or by_rank or by_age:
            kept.append(tag)
            continue
        pod = _in_use(protected, repo.name, tag.name, tag.digest)
        if pod is not None:
            plan.protected.append(Protected(repo.name, tag.name, pod))
            kept.append(tag)
            continue
        dropped.append(tag)
    needed = set().union(*(storage.closure(t.digest) for t in kept)) if kept else set()
    # Digests a pod names directly (by digest) are needed too, with what they reference.
    for (name, reference), _pod in protected.items():
        if name == repo.name and reference.startswith("sha256:"):
            needed |= storage.closure(reference)
    by_digest: dict[str, list[str]] = {}
    for tag in dropped:
        by_digest.setdefault(tag.digest, []).append(tag.name)
    for digest, names in sorted(by_digest.items()):
        age = min(_age(now, repo.tags[n].written) for n in names)
        reason = _tag_reason(retention, age)
        if digest in needed:
            plan.removals.append(
                Removal(
                    repo.name,
                    digest,
                    tuple(sorted(names)),
                    reason + "; the manifest stays for a kept tag",
                    manifest=False,
                )
            )
        else:
            removed_with = _children_to_remove(storage, repo, digest, needed)
            plan.removals.append(Removal(repo.name, digest, tuple(sorted(names)), reason, children=removed_with))
            gone.update((repo.name, d) for d in (digest, *removed_with))
    if not rules:
        return
    tagged = {t.digest for t in repo.tags.values()}
    children: set[str] = set()  # platform manifests go or stay with their index
    for digest in repo.revisions:
        children |= storage.closure(digest) - {digest}
    for digest, written in sorted(repo.revisions.items()):
        if digest in tagged or digest in children or digest in needed or (repo.name, digest) in gone:
            continue
        if retention.keep_younger_than is not None and _age(now, written) < retention.keep_younger_than:
            continue
        pod = _in_use(protected, repo.name, digest)
        if pod is not None:
            plan.protected.append(Protected(repo.name, digest, pod))
            continue
        removed_with = _children_to_remove(storage, repo, digest, needed)
        plan.removals.append(
            Removal(
                repo.name,
                digest,
                (),
                f"untagged, written {human_duration(_age(now, written))} ago",
                children=removed_with,
            )
        )
        gone.update((repo.name, d) for d in (digest, *removed_with))


def _tag_reason(retention: Retention, age: float) -> str:
    parts = []
    if retention.keep_last is not None:
        parts.append(f"not among the newest {retention.keep_last}")
    if retention.keep_younger_than is not None:
        parts.append(f"older than {human_duration(retention.keep_younger_than)}")
    return f"{' and '.join(parts)}; pushed {human_duration(age)} ago"


@dataclass(frozen=True)
class _Image:
    repository: str
    digest: str
    tags: tuple[str, ...]
    last_used: float


def _images(storage: Storage, gone: set[tuple[str, str]]) -> list[_Image]:
    """Each repository's top-level manifests (tagged, or untagged and no index's child), with the
    last time anything of it was used: the newest tag write (a mirror rewrites the tag on every
    online resolve) or blob access time of what it needs."""
    images = []
    for repo in storage.repositories.values():
        live = {d for d in repo.revisions if (repo.name, d) not in gone}
        children = set()
        for digest in live:
            children |= storage.closure(digest) - {digest}
        for digest in sorted(live - children):
            tags = tuple(sorted(t.name for t in repo.tags.values() if t.digest == digest))
            times = [repo.revisions[digest]] + [repo.tags[t].written for t in tags]
            times += [storage.blobs[b].accessed for b in storage.closure(digest) if b in storage.blobs]
            times += [storage.blobs[b].modified for b in storage.closure(digest) if b in storage.blobs]
            images.append(_Image(repo.name, digest, tags, max(times)))
    return sorted(images, key=lambda i: (i.last_used, i.repository, i.digest))


def _plan_size_cap(
    storage: Storage,
    max_size: int,
    now: float,
    protected: dict[tuple[str, str], str],
    plan: PrunePlan,
    gone: set[tuple[str, str]],
) -> None:
    for image in _images(storage, gone):
        if storage.bytes_of(storage.referenced(skip=gone)) <= max_size:
            return
        pod = _in_use(protected, image.repository, image.digest, *image.tags)
        if pod is not None:
            plan.protected.append(Protected(image.repository, image.tags[0] if image.tags else image.digest, pod))
            continue
        repo = storage.repositories[image.repository]
        others = set()
        for digest in repo.revisions:
            if (
                (repo.name, digest) not in gone
                and digest != image.digest
                and digest not in storage.closure(image.digest)
            ):
                others |= storage.closure(digest)
        children = _children_to_remove(storage, repo, image.digest, others)
        gone.update((image.repository, d) for d in (image.digest, *children))
        plan.removals.append(
            Removal(
                image.repository,
                image.digest,
                image.tags,
                f"over maxSize; least recently used: {human_duration(_age(now, image.last_used))} ago",
                children=children,
            )
        )


def _children_to_remove(storage: Storage, repo, digest: str, needed: set[str]) -> tuple[str, ...]:
    """An index's platform manifests in the same repository that nothing kept still needs."""
    return tuple(sorted(d for d in storage.closure(digest) - {digest} if d in repo.revisions and d not in needed))


def removal_paths(storage: Storage, plan: PrunePlan) -> list[str]:
    """The directories to remove in the container: tags, and revisions whose manifest goes."""
    paths = []
    for removal in plan.removals:
        paths += [storage.tag_path(removal.repository, t) for t in removal.tags]
        if removal.manifest:
            paths += [storage.revision_path(removal.repository, d) for d in (removal.digest, *removal.children)]
    return paths
