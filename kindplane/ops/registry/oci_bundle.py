"""`registry export` / `import`: a registry's or mirror's images as an OCI image layout tarball.

The tarball is the OCI image-layout (image-spec `image-layout.md`): `oci-layout`, `index.json`
naming each image (`org.opencontainers.image.ref.name` is `<repository>:<tag>`, the form
`skopeo`/`oras` accept for a multi-repository layout; containerd's `io.containerd.image.name`
holds the same), and `blobs/sha256/<hex>`. Export streams the blob files out of the container's
storage with one `tar`; import checks every blob against its digest and every manifest's
references before writing anything, then pushes through the registry API (the local registry) or
writes the storage layout (a mirror, whose API refuses pushes) and restarts it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterable, Iterator, Optional

from .storage_scan import INDEX_TYPES, V2_PREFIX, Storage

if TYPE_CHECKING:
    from .push_gc import RegistryContainer

OCI_LAYOUT = {"imageLayoutVersion": "1.0.0"}
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
CHUNK = 1 << 20


class BundleError(RuntimeError):
    """A bundle that cannot be written or trusted; str() names the file and the fix."""


@dataclass(frozen=True)
class BundleImage:
    repository: str
    tag: str
    digest: str
    media_type: str

    @property
    def name(self) -> str:
        return f"{self.repository}:{self.tag}"

    def as_dict(self) -> dict:
        return {"repository": self.repository, "tag": self.tag, "digest": self.digest, "mediaType": self.media_type}


@dataclass
class Bundle:
    """A verified bundle: its images, and where each blob sits in the tarball."""

    path: Path
    images: list[BundleImage]
    blobs: dict[str, int]  # digest → size
    manifests: dict[str, dict]  # digest → parsed manifest or index
    missing: dict[str, list[str]] = field(default_factory=dict)  # image name → blobs it names but lacks

    def closure(self, digest: str) -> list[str]:
        """The manifest's children (index platforms), then blobs, then itself: push order."""
        order: list[str] = []
        document = self.manifests.get(digest) or {}
        for child in document.get("manifests") or []:
            if child.get("digest") in self.manifests:
                order += [d for d in self.closure(child["digest"]) if d not in order]
        for entry in [document.get("config") or {}, *(document.get("layers") or [])]:
            if entry.get("digest") and entry["digest"] not in order:
                order.append(entry["digest"])
        return order + [digest]


def media_type_of(document: dict) -> str:
    if document.get("mediaType"):
        return document["mediaType"]
    return OCI_INDEX if "manifests" in document and "layers" not in document else OCI_MANIFEST


# --- export ------------------------------------------------------------------------------------


def select_images(storage: Storage, wanted: Optional[Iterable[str]] = None) -> list[BundleImage]:
    """Every tag of the storage (or the `repository:tag` names in `wanted`), with its manifest."""
    chosen = set(wanted) if wanted is not None else None
    images = []
    for repo in sorted(storage.repositories.values(), key=lambda r: r.name):
        for tag in sorted(repo.tags.values(), key=lambda t: t.name):
            if chosen is not None and f"{repo.name}:{tag.name}" not in chosen:
                continue
            info = storage.manifests.get(tag.digest)
            if info is None:
                continue  # a tag whose manifest is gone (pruned): nothing to carry
            images.append(BundleImage(repo.name, tag.name, tag.digest, info.media_type or OCI_MANIFEST))
    if chosen is not None:
        unknown = chosen - {i.name for i in images}
        if unknown:
            raise BundleError(f"not in the registry: {', '.join(sorted(unknown))}")
    return images


def needed_blobs(storage: Storage, images: list[BundleImage]) -> list[str]:
    """Digests stored here that the images need (what a partially cached mirror lacks is left out)."""
    digests: set[str] = set()
    for image in images:
        digests |= storage.closure(image.digest)
    return sorted(d for d in digests if d in storage.blobs)


def blob_path(digest: str) -> str:
    hex_ = digest.removeprefix("sha256:")
    return f"blobs/sha256/{hex_[:2]}/{hex_}/data"


class _Stream(io.RawIOBase):
    """A read()-able view of an iterator of byte chunks (docker exec's streamed stdout)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._buffer = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size], self._buffer = self._buffer[:size], self._buffer[size:]
        return size


def write_bundle(container: RegistryContainer, storage: Storage, images: list[BundleImage], path: Path) -> int:
    """Writes the OCI layout tarball; returns its blob bytes. The file appears only when complete."""
    digests = needed_blobs(storage, images)
    sizes = {d: storage.blobs[d].size for d in digests}
    root = f"{storage.root.rstrip('/')}/{V2_PREFIX}"
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": i.media_type,
                "digest": i.digest,
                "size": sizes.get(i.digest, 0),
                "annotations": {REF_NAME: i.name, CONTAINERD_NAME: i.name},
            }
            for i in images
        ],
    }
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(handle)
    try:
        with tarfile.open(temporary, "w") as out:
            _add_bytes(out, "oci-layout", json.dumps(OCI_LAYOUT).encode())
            if digests:
                chunks = container.stream(["tar", "-cf", "-", "-C", root, *(blob_path(d) for d in digests)])
                with tarfile.open(fileobj=_Stream(chunks), mode="r|") as source:
                    for member in source:
                        if not member.isfile():
                            continue
                        digest = "sha256:" + member.name.rstrip("/").split("/")[-2]
                        info = tarfile.TarInfo(f"blobs/sha256/{digest[7:]}")
                        info.size, info.mode = member.size, 0o644
                        reader = _Hashing(_member_file(source, member))
                        out.addfile(info, reader)
                        if reader.digest != digest:
                            raise BundleError(
                                f"blob {digest} in {storage.root} does not match its digest: the storage is damaged"
                            )
                        sizes.pop(digest, None)
            if sizes:
                raise BundleError(
                    f"{len(sizes)} blob(s) could not be read from the container (first: {next(iter(sizes))})"
                )
            _add_bytes(out, "index.json", json.dumps(index, indent=2).encode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return sum(storage.blobs[d].size for d in digests)


class _Hashing:
    """Reads through `source`, hashing what passes (tarfile reads exactly the member's size)."""

    def __init__(self, source: IO[bytes]):
        self._source, self._hash = source, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._hash.update(data)
        return data

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


def _add_bytes(out: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    out.addfile(info, io.BytesIO(data))


# --- reading and verifying ---------------------------------------------------------------------


def read_bundle(path: Path) -> Bundle:
    """Opens and verifies a bundle: every blob hashes to its name, every reference is present."""
    try:
        archive = tarfile.open(path, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BundleError(f"{path}: not a readable tar file ({exc})") from None
    with archive:
        blobs: dict[str, int] = {}
        manifests: dict[str, dict] = {}
        index = layout = None
        for member in archive:
            name = member.name.lstrip("./")
            if name == "index.json":
                index = _json(archive, member, path)
            elif name == "oci-layout":
                layout = _json(archive, member, path)
            elif name.startswith("blobs/sha256/") and member.isfile():
                digest = "sha256:" + name.rsplit("/", 1)[-1]
                data_hash, head = _hash_member(archive, member)
                if data_hash != digest:
                    raise BundleError(
                        f"{path}: blob {name} hashes to {data_hash}, not to its name: the bundle is damaged "
                        f"or was changed; nothing was imported"
                    )
                blobs[digest] = member.size
                if head is not None:
                    manifests[digest] = head
    if layout is None or index is None:
        raise BundleError(f"{path}: not an OCI image layout (no oci-layout or index.json)")
    images = []
    for entry in index.get("manifests") or []:
        annotations = entry.get("annotations") or {}
        name = annotations.get(REF_NAME) or annotations.get(CONTAINERD_NAME) or ""
        repository, _, tag = name.rpartition(":")
        if not repository or "/" in tag:
            raise BundleError(f"{path}: index.json names {name!r}; kindplane bundles name images repository:tag")
        images.append(BundleImage(repository, tag, entry.get("digest", ""), entry.get("mediaType") or OCI_MANIFEST))
    bundle = Bundle(path, images, blobs, {d: m for d, m in manifests.items() if _is_manifest(m)})
    for image in images:
        if image.digest not in bundle.manifests:
            raise BundleError(f"{path}: {image.name} names manifest {image.digest}, which the bundle lacks")
        lacking = [d for d in _references(bundle, image.digest) if d not in blobs]
        if lacking:
            bundle.missing[image.name] = lacking
    return bundle


def _member_file(archive: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    """A member's bytes: blobs and manifests are regular files, anything else means a damaged bundle."""
    source = archive.extractfile(member)
    if source is None:
        raise BundleError(f"{member.name} in the bundle is not a regular file")
    return source


def _json(archive: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> dict:
    try:
        return json.loads(_member_file(archive, member).read())
    except (ValueError, BundleError):
        raise BundleError(f"{path}: {member.name} is not JSON") from None


def _hash_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[str, Optional[dict]]:
    """sha256 of the member, and its JSON when it is small enough to be a manifest."""
    source = _member_file(archive, member)
    digest = hashlib.sha256()
    head = b""
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        if member.size <= 4 * CHUNK:
            head += chunk
    parsed = None
    if head[:1] == b"{":
        try:
            parsed = json.loads(head)
        except ValueError:
            parsed = None
    return "sha256:" + digest.hexdigest(), parsed


def _is_manifest(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and document.get("schemaVersion") == 2
        and ("layers" in document or "manifests" in document)
    )


def _references(bundle: Bundle, digest: str) -> list[str]:
    document = bundle.manifests.get(digest) or {}
    found = []
    for child in document.get("manifests") or []:
        found.append(child.get("digest", ""))
        found += _references(bundle, child.get("digest", ""))
    found += [e.get("digest", "") for e in [document.get("config") or {}, *(document.get("layers") or [])] if e]
    return found


def member_reader(path: Path) -> tuple[tarfile.TarFile, dict[str, tarfile.TarInfo]]:
    archive = tarfile.open(path, "r:*")
    members = {
        "sha256:" + m.name.rsplit("/", 1)[-1]: m
        for m in archive.getmembers()
        if m.name.lstrip("./").startswith("blobs/sha256/") and m.isfile()
    }
    return archive, members


def is_index(media_type: str) -> bool:
    return media_type in INDEX_TYPES


# --- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    image: BundleImage
    pushed: int  # blobs (and manifests) written
    skipped: int  # already there: an interrupted import picks up where it stopped
    error: Optional[str] = None

    def as_dict(self) -> dict:
        return {**self.image.as_dict(), "pushed": self.pushed, "skipped": self.skipped, "error": self.error}


def import_through_api(
    bundle: Bundle, address: str, timeout: float = 300.0, auth: Optional[tuple[str, str]] = None
) -> list[ImportResult]:
    """Pushes each image with the registry API: blobs (skipping those it has), manifests, the tag.
    Through RegistryClient: HTTPS for registry.tls, credentials for registry.auth."""
    import httpx

    from .http_api import RegistryClient, RegistryError

    results = []
    archive, members = member_reader(bundle.path)
    with archive, RegistryClient(address, timeout=timeout, auth=auth) as http:
        for image in bundle.images:
            if image.name in bundle.missing:
                results.append(
                    ImportResult(image, 0, 0, f"the bundle lacks {len(bundle.missing[image.name])} blob(s) it needs")
                )
                continue
            pushed = skipped = 0
            try:
                for digest in bundle.closure(image.digest):
                    repo = image.repository
                    if digest in bundle.manifests:
                        document = _member_file(archive, members[digest]).read()
                        reference = image.tag if digest == image.digest else digest
                        response = http.request(
                            "PUT",
                            f"/v2/{repo}/manifests/{reference}",
                            content=document,
                            headers={"Content-Type": media_type_of(bundle.manifests[digest])},
                        )
                        _expect(response, 201, f"{image.name}: manifest {digest}")
                        pushed += 1
                        continue
                    if http.request("HEAD", f"/v2/{repo}/blobs/{digest}").status_code == 200:
                        skipped += 1
                        continue
                    started = http.request("POST", f"/v2/{repo}/blobs/uploads/")
                    _expect(started, 202, f"{image.name}: starting the upload of {digest}")
                    location = started.headers["Location"]
                    separator = "&" if "?" in location else "?"
                    body = _member_file(archive, members[digest])
                    done = http.request(
                        "PUT",
                        f"{location}{separator}digest={digest}",
                        content=iter(lambda: body.read(CHUNK), b""),
                        headers={
                            "Content-Type": "application/octet-stream",
                            "Content-Length": str(members[digest].size),
                        },
                    )
                    _expect(done, 201, f"{image.name}: blob {digest}")
                    pushed += 1
            except (httpx.HTTPError, RegistryError, BundleError) as exc:
                results.append(ImportResult(image, pushed, skipped, str(exc)))
                continue
            results.append(ImportResult(image, pushed, skipped))
    return results


def _expect(response: Any, status: int, what: str) -> None:
    if response.status_code != status:
        raise BundleError(f"{what}: HTTP {response.status_code} {response.text.strip()[:200]}")


def storage_entries(bundle: Bundle, image: BundleImage) -> dict[str, Optional[str]]:
    """Layout path (under docker/registry/v2) → link content, or None for a blob's data file."""
    entries: dict[str, Optional[str]] = {}
    repo = f"repositories/{image.repository}"
    for digest in bundle.closure(image.digest):
        hex_ = digest.removeprefix("sha256:")
        entries[blob_path(digest)] = None
        if digest in bundle.manifests:
            entries[f"{repo}/_manifests/revisions/sha256/{hex_}/link"] = digest
        else:
            entries[f"{repo}/_layers/sha256/{hex_}/link"] = digest
    hex_ = image.digest.removeprefix("sha256:")
    entries[f"{repo}/_manifests/tags/{image.tag}/current/link"] = image.digest
    entries[f"{repo}/_manifests/tags/{image.tag}/index/sha256/{hex_}/link"] = image.digest
    return entries


def import_into_storage(bundle: Bundle, container: RegistryContainer, storage: Storage) -> list[ImportResult]:
    """Writes the images straight into a registry's storage (a mirror's API refuses pushes): one
    tarball extracted under the storage root, blobs it already has left out. Restart it after."""
    from .storage_scan import _check_name

    results, entries = [], {}
    for image in bundle.images:
        if image.name in bundle.missing:
            results.append(
                ImportResult(image, 0, 0, f"the bundle lacks {len(bundle.missing[image.name])} blob(s) it needs")
            )
            continue
        _check_name(image.repository, image.tag)
        mine = storage_entries(bundle, image)
        have = sum(1 for path, link in mine.items() if link is None and _digest_of(path) in storage.blobs)
        entries.update(mine)
        results.append(ImportResult(image, sum(1 for link in mine.values() if link is None) - have, have))
    if not entries:
        return results
    archive, members = member_reader(bundle.path)
    with archive, tempfile.TemporaryFile() as staged:
        with tarfile.open(fileobj=staged, mode="w") as out:
            for path, link in sorted(entries.items()):
                if link is not None:
                    _add_bytes(out, f"{V2_PREFIX}/{path}", link.encode())
                elif _digest_of(path) not in storage.blobs:
                    member = members[_digest_of(path)]
                    info = tarfile.TarInfo(f"{V2_PREFIX}/{path}")
                    info.size, info.mode = member.size, 0o644
                    out.addfile(info, archive.extractfile(member))
        staged.seek(0)
        if not container.put_archive(storage.root, staged):
            raise BundleError(f"writing into {storage.root} of the container failed")
    return results


def _digest_of(path: str) -> str:
    return "sha256:" + path.rstrip("/").split("/")[-2]
