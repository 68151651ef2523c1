"""`registry preload`: pull a list of images through the mirrors now, so the next fresh cluster's
nodes find everything in the caches (and need no network).

A mirror is a pull-through proxy: asking it for a manifest and then each blob makes it fetch and
keep them. The requests are sent from inside the mirror container (it has no host port), for the
node's platform only when the tag is a multi-platform index. Blobs the cache already holds are
not asked for again, so a preload that was interrupted, or run twice, only fetches what is left.
Images of the local registry are already where nodes pull them: they are checked, not copied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from ...core.contract import SELF_ADDRESS
from .config_stores import Store
from .pod_images import images_of_pods, normalize
from .storage_scan import INDEX_TYPES, Storage

if TYPE_CHECKING:
    from .push_gc import RegistryContainer

MANIFEST_ACCEPT = ",".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


class PreloadError(RuntimeError):
    """One image could not be preloaded; str() says why."""


@dataclass(frozen=True)
class Wanted:
    text: str  # as written in the file or the pod spec
    host: str
    repository: str
    reference: str  # tag or digest


@dataclass
class Outcome:
    wanted: Wanted
    store: Optional[str] = None  # the mirror (or registry) that holds it
    fetched: int = 0  # bytes the mirror fetched now
    cached: int = 0  # bytes it already had
    digest: Optional[str] = None
    error: Optional[str] = None

    def as_dict(self) -> dict:
        return {
            "image": self.wanted.text,
            "store": self.store,
            "digest": self.digest,
            "fetched": self.fetched,
            "cached": self.cached,
            "error": self.error,
        }


@dataclass
class ListProblem:
    line: int
    text: str
    message: str


def parse_list(text: str) -> tuple[list[Wanted], list[ListProblem]]:
    """One image per line; `#` starts a comment; blank lines are skipped."""
    wanted, problems = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parsed = normalize(line)
        if parsed is None:
            problems.append(ListProblem(number, line, "not an image reference"))
            continue
        host, repository, tag, digest = parsed
        wanted.append(Wanted(line, host, repository, digest or tag or "latest"))
    return _unique(wanted), problems


def from_pods(pods: Optional[dict]) -> list[Wanted]:
    """Every image the cluster's pods name (finished ones too: they may run again)."""
    if not pods:
        return []
    every = {
        "items": [{**p, "status": {**(p.get("status") or {}), "phase": "Running"}} for p in pods.get("items") or []]
    }
    return _unique(
        [
            Wanted(str(u), u.host, u.repository, u.digest or u.tag or "latest")
            for u in images_of_pods(every)
            if u.tag or u.digest
        ]
    )


def _unique(items: list[Wanted]) -> list[Wanted]:
    seen, out = set(), []
    for item in items:
        key = (item.host, item.repository, item.reference)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@dataclass
class MirrorFetcher:
    """Talks to the registry inside a mirror container, through the container's own wget."""

    container: RegistryContainer
    storage: Storage
    platform: str = "amd64"
    have: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.have = set(self.storage.blobs)

    def get(self, path: str, accept: str = "") -> bytes:
        argv = ["wget", "-q", "-O", "-"] + (["--header", f"Accept: {accept}"] if accept else [])
        code, out, err = self.container.read(argv + [f"http://{SELF_ADDRESS}{path}"])
        if code != 0:
            raise PreloadError((err.strip() or f"wget exit {code}").splitlines()[-1].replace("wget: ", ""))
        return out

    def fetch_blob(self, repository: str, digest: str) -> None:
        code, _, err = self.container.read(
            ["wget", "-q", "-O", "/dev/null", f"http://{SELF_ADDRESS}/v2/{repository}/blobs/{digest}"]
        )
        if code != 0:
            raise PreloadError(f"blob {digest}: {(err.strip() or f'wget exit {code}').splitlines()[-1]}")
        self.have.add(digest)


# progress(advance, total): bytes done since the last call, and the image's total once known.
Progress = Callable[[int, Optional[int]], None]


def preload_through_mirror(fetcher: MirrorFetcher, wanted: Wanted, progress: Progress = lambda n, t: None) -> Outcome:
    outcome = Outcome(wanted)
    body = fetcher.get(f"/v2/{wanted.repository}/manifests/{wanted.reference}", MANIFEST_ACCEPT)
    outcome.digest = "sha256:" + hashlib.sha256(body).hexdigest()
    manifests = [json.loads(body)]
    if manifests[0].get("mediaType") in INDEX_TYPES or "manifests" in manifests[0]:
        children = [
            m
            for m in manifests[0].get("manifests") or []
            if (m.get("platform") or {}).get("architecture") == fetcher.platform
            and (m.get("platform") or {}).get("os", "linux") == "linux"
        ]
        if not children:
            raise PreloadError(f"the index has no linux/{fetcher.platform} image")
        manifests = [
            json.loads(fetcher.get(f"/v2/{wanted.repository}/manifests/{c['digest']}", MANIFEST_ACCEPT))
            for c in children
        ]
    entries = [e for m in manifests for e in [m.get("config") or {}, *(m.get("layers") or [])] if e.get("digest")]
    progress(0, sum(int(e.get("size") or 0) for e in entries))
    for entry in entries:
        digest, size = entry["digest"], int(entry.get("size") or 0)
        if digest in fetcher.have:
            outcome.cached += size
        else:
            fetcher.fetch_blob(wanted.repository, digest)
            outcome.fetched += size
        progress(size, None)
    return outcome


def store_for(wanted: Wanted, stores: list[Store]) -> Optional[Store]:
    return next((s for s in stores if wanted.host in s.hosts), None)


def read_list_file(path: Path) -> str:
    return path.read_text(encoding="utf-8")
