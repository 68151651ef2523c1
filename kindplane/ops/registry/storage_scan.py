"""What a registry's (or mirror's) storage holds, read from its filesystem inside the container.

The HTTP API cannot say this: it hides untagged manifests and unreferenced blobs (the bytes gc
would free), a pull-through mirror has no host port and refuses deletes, and neither tells when
content was last used. So one `sh` in the container lists the storage driver's layout, which is
the same in distribution 2.8 and 3.x (registry/storage/paths.go):

    <root>/docker/registry/v2/blobs/sha256/<2 hex>/<digest>/data          every blob, once
    …/repositories/<name>/_layers/sha256/<digest>/link                     blobs the repository may serve
    …/repositories/<name>/_manifests/revisions/sha256/<digest>/link        its manifests
    …/repositories/<name>/_manifests/tags/<tag>/current/link               tag → digest (mtime: last write)

Manifest blobs are read whole (they are small) to know what each references, as gc's mark phase does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

V2_PREFIX = "docker/registry/v2"

# Runs argv in the container: (exit code, stdout bytes, stderr text).
Reader = Callable[[list[str]], "tuple[int, bytes, str]"]

# Lists the layout; $1 is the storage root (an argument, never pasted into the script).
SCAN_SCRIPT = r"""
cd "$1/docker/registry/v2" 2>/dev/null || exit 0
if [ -d blobs ]; then find blobs -type f -name data -exec stat -c 'B %s %X %Y %n' {} +; fi
[ -d repositories ] || exit 0
find repositories -type f \( -path '*/_layers/sha256/*/link' -o -path '*/_manifests/revisions/sha256/*/link' \) \
  -exec stat -c 'L %Y %n' {} +
find repositories -type f -path '*/_manifests/tags/*/current/link' \
  -exec sh -c 'for f; do printf "T %s %s %s\n" "$(stat -c %Y "$f")" "$f" "$(cat "$f")"; done' sh {} +
find repositories -type f -path '*/_manifests/revisions/sha256/*/link' \
  | sed -n 's#.*/_manifests/revisions/sha256/\([0-9a-f]*\)/link$#\1#p' | sort -u | while read -r d; do
    f="blobs/sha256/$(echo "$d" | cut -c1-2)/$d/data"
    [ -f "$f" ] || continue
    printf 'M %s %s\n' "$d" "$(stat -c %s "$f")"
    cat "$f"
    printf '\n'
  done
"""

_HEX = re.compile(r"^[0-9a-f]{64}$")
# A repository name as distribution accepts it (reference.NameRegexp, without a host).
_REPO = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

INDEX_TYPES = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)


class StorageError(RuntimeError):
    """The storage could not be read; str() is the one-line message."""


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    accessed: int  # atime, seconds (the filesystem may update it lazily: relatime)
    modified: int


@dataclass(frozen=True)
class Tag:
    name: str
    digest: str
    written: int  # mtime of the tag's current link: the last push (or, on a mirror, the last online resolve)


@dataclass
class Repository:
    name: str
    tags: dict[str, Tag] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)  # manifest digest → link mtime
    layers: set[str] = field(default_factory=set)  # blob digests linked into the repository


@dataclass(frozen=True)
class ManifestInfo:
    digest: str
    media_type: str
    blobs: tuple[str, ...]  # config + layers it references
    children: tuple[str, ...]  # manifests an index references


@dataclass
class Storage:
    root: str
    blobs: dict[str, Blob] = field(default_factory=dict)
    repositories: dict[str, Repository] = field(default_factory=dict)
    manifests: dict[str, ManifestInfo] = field(default_factory=dict)

    def repository_path(self, repository: str) -> str:
        return f"{self.root.rstrip('/')}/{V2_PREFIX}/repositories/{repository}"

    def tag_path(self, repository: str, tag: str) -> str:
        _check_name(repository, tag)
        return f"{self.repository_path(repository)}/_manifests/tags/{tag}"

    def revision_path(self, repository: str, digest: str) -> str:
        _check_name(repository)
        hex_ = digest.removeprefix("sha256:")
        if not _HEX.match(hex_):
            raise StorageError(f"not a sha256 digest: {digest!r}")
        return f"{self.repository_path(repository)}/_manifests/revisions/sha256/{hex_}"

    def closure(self, digest: str) -> set[str]:
        """A manifest's digest and every blob it needs, through index children (gc's mark)."""
        marked: set[str] = set()
        pending = [digest]
        while pending:
            current = pending.pop()
            if current in marked:
                continue
            marked.add(current)
            info = self.manifests.get(current)
            if info is not None:
                marked.update(info.blobs)
                pending.extend(info.children)
        return marked

    def referenced(self, skip: Iterable[tuple[str, str]] = ()) -> set[str]:
        """Every blob some repository's manifest revision needs, leaving out (repository, digest)
        pairs in `skip`: what gc keeps when those revisions are gone."""
        gone = set(skip)
        marked: set[str] = set()
        for repo in self.repositories.values():
            for digest in repo.revisions:
                if (repo.name, digest) not in gone:
                    marked |= self.closure(digest)
        return marked

    def bytes_of(self, digests: Iterable[str]) -> int:
        return sum(self.blobs[d].size for d in set(digests) if d in self.blobs)

    @property
    def total(self) -> int:
        return sum(b.size for b in self.blobs.values())


def _check_name(repository: str, tag: Optional[str] = None) -> None:
    # Names come from the storage itself; refusing odd ones keeps every rm argument inside the root.
    if not _REPO.match(repository) or ".." in repository.split("/"):
        raise StorageError(f"refusing an unexpected repository name {repository!r}")
    if tag is not None and not _TAG.match(tag):
        raise StorageError(f"refusing an unexpected tag {tag!r}")


def read_storage(read: Reader, root: str) -> Storage:
    code, out, err = read(["sh", "-c", SCAN_SCRIPT, "sh", root])
    if code != 0:
        raise StorageError(f"cannot list the registry storage {root}: {err.strip() or f'exit code {code}'}")
    return parse_scan(out, root)


def parse_scan(out: bytes, root: str) -> Storage:
    """Parses SCAN_SCRIPT's output (lines, and length-prefixed manifest bodies)."""
    storage = Storage(root)
    position = 0
    while position < len(out):
        end = out.find(b"\n", position)
        end = len(out) if end < 0 else end
        line = out[position:end].decode("utf-8", "replace")
        position = end + 1
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        if kind == "B":
            size, accessed, modified, path = rest.split(" ", 3)
            digest = "sha256:" + path.rstrip("/").split("/")[-2]
            storage.blobs[digest] = Blob(digest, int(size), int(accessed), int(modified))
        elif kind == "L":
            modified, path = rest.split(" ", 1)
            _add_link(storage, path, int(modified))
        elif kind == "T":
            written, path, target = rest.split(" ", 2)
            _add_tag(storage, path, target.strip(), int(written))
        elif kind == "M":
            digest, size = rest.split(" ", 1)
            body = out[position : position + int(size)]
            position += int(size) + 1
            storage.manifests["sha256:" + digest] = _manifest_info("sha256:" + digest, body)
    return storage


def _split(path: str, marker: str) -> tuple[str, str]:
    head, _, tail = path.removeprefix("repositories/").partition(marker)
    return head, tail


def _add_link(storage: Storage, path: str, modified: int) -> None:
    if "/_layers/sha256/" in path:
        name, tail = _split(path, "/_layers/sha256/")
        storage.repositories.setdefault(name, Repository(name)).layers.add("sha256:" + tail.split("/")[0])
    elif "/_manifests/revisions/sha256/" in path:
        name, tail = _split(path, "/_manifests/revisions/sha256/")
        storage.repositories.setdefault(name, Repository(name)).revisions["sha256:" + tail.split("/")[0]] = modified


def _add_tag(storage: Storage, path: str, target: str, written: int) -> None:
    name, tail = _split(path, "/_manifests/tags/")
    tag = tail.removesuffix("/current/link")
    storage.repositories.setdefault(name, Repository(name)).tags[tag] = Tag(tag, target, written)


def _manifest_info(digest: str, body: bytes) -> ManifestInfo:
    try:
        document = json.loads(body)
    except ValueError:
        return ManifestInfo(digest, "", (), ())
    media_type = document.get("mediaType") or ""
    if media_type in INDEX_TYPES or ("manifests" in document and "layers" not in document):
        children = tuple(m["digest"] for m in document.get("manifests") or [] if "digest" in m)
        return ManifestInfo(digest, media_type, (), children)
    entries = [document.get("config") or {}] + list(document.get("layers") or [])
    # schema1 manifests name their layers fsLayers[].blobSum
    entries += [{"digest": f.get("blobSum")} for f in document.get("fsLayers") or []]
    return ManifestInfo(digest, media_type, tuple(e["digest"] for e in entries if e.get("digest")), ())
