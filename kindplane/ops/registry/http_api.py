"""A small client for the Docker Registry HTTP API v2, as served by `registry:2`.

Only what the CLI needs: list repositories and tags (following `Link` pagination), read a
manifest's digest and size, delete a manifest by digest. Every failure becomes a RegistryError
subclass whose message is one line a user can act on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Iterator, Optional

import httpx

# What we accept for a manifest. Without the index types the registry answers an index with
# 404, and without the v2 types it may try to convert to the ancient schema 1.
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_ACCEPT = ", ".join([DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX])
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)

DEFAULT_TIMEOUT = 10.0
# What Go's net/http answers a plain HTTP request on a TLS port (registry.tls).
HTTPS_ONLY = "Client sent an HTTP request to an HTTPS server"


class RegistryError(RuntimeError):
    """Anything that went wrong talking to the registry; str() is the one-line message."""


class RegistryUnreachable(RegistryError):
    """Nothing answers on the address: container stopped, port closed or published elsewhere."""


class RepositoryNotFound(RegistryError):
    pass


class TagNotFound(RegistryError):
    pass


class DeleteDisabled(RegistryError):
    """The registry refuses deletes (REGISTRY_STORAGE_DELETE_ENABLED is not true)."""


@dataclass(frozen=True)
class Manifest:
    repository: str
    reference: str  # the tag or digest it was looked up by
    digest: str
    media_type: str
    # Bytes of the blobs it references (config + layers, compressed as stored); for an index,
    # the distinct blobs of every platform it lists. None when the registry did not say.
    size: Optional[int]
    platforms: list[str] = field(default_factory=list)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


class RegistryClient:
    """Talks to one registry, e.g. RegistryClient("localhost:5001"). Use as a context manager."""

    def __init__(self, address: str, timeout: float = DEFAULT_TIMEOUT, auth: Optional[tuple[str, str]] = None):
        """`auth`: registry.auth's user name and password (kindplane.core.credentials)."""
        self.address = address
        self._timeout = timeout
        self._auth = auth
        self._http = httpx.Client(base_url=f"http://{address}", timeout=timeout, auth=auth)

    def __enter__(self) -> "RegistryClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- reading ---------------------------------------------------------------------------

    def ping(self) -> None:
        """GET /v2/: raises RegistryUnreachable unless a v2 registry answers."""
        response = self.request("GET", "/v2/")
        if response.status_code == 401:
            raise RegistryError(self._unauthorized())
        if response.status_code != 200:
            raise RegistryError(
                f"{self.address} answered GET /v2/ with HTTP {response.status_code}; "
                f"it does not look like a registry:2 without authentication"
            )

    def repositories(self, page_size: Optional[int] = None) -> list[str]:
        return list(self._paged("/v2/_catalog", "repositories", page_size))

    def tags(self, repository: str, page_size: Optional[int] = None) -> list[str]:
        """The repository's tags, sorted; [] when every tag was deleted (the repository stays).

        registry:2 (2.8) ignores `n` here and answers every tag in storage order; registry 3
        pages them like the catalog, which _paged follows.
        """
        return sorted(self._paged(f"/v2/{repository}/tags/list", "tags", page_size, repository))

    def manifest(self, repository: str, reference: str) -> Manifest:
        """The manifest a tag (or digest) points to, with its digest and total blob size."""
        response = self.request("GET", f"/v2/{repository}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})
        self._raise_for_status(response, repository, reference)
        body = response.content
        # The header is the digest the registry stores; hashing the body is the spec's fallback.
        digest = response.headers.get("Docker-Content-Digest") or ("sha256:" + hashlib.sha256(body).hexdigest())
        try:
            document = json.loads(body)
        except ValueError:
            raise RegistryError(f"{repository}:{reference}: the manifest is not JSON") from None
        media_type = document.get("mediaType") or response.headers.get("Content-Type", "")
        media_type = media_type.split(";")[0].strip()
        if media_type in INDEX_TYPES:
            size, platforms = self._index_size(repository, document)
            return Manifest(repository, reference, digest, media_type, size, platforms)
        return Manifest(repository, reference, digest, media_type, _blob_total(document))

    def tags_sharing(self, repository: str, digest: str) -> list[str]:
        """Every tag of the repository that points at this digest (a delete removes them all)."""
        found = []
        for tag in self.tags(repository):
            try:
                if self._head_digest(repository, tag) == digest:
                    found.append(tag)
            except TagNotFound:
                continue  # deleted between listing and looking: not sharing anything any more
        return found

    # --- deleting --------------------------------------------------------------------------

    def delete(self, repository: str, digest: str) -> None:
        """Deletes the manifest; the registry also drops every tag pointing at it."""
        if not digest.startswith("sha256:"):
            raise ValueError(f"delete needs a digest, got {digest!r}")
        response = self.request("DELETE", f"/v2/{repository}/manifests/{digest}")
        if response.status_code == 202:
            return
        self._raise_for_status(response, repository, digest)
        raise RegistryError(f"deleting {repository}@{digest}: unexpected HTTP {response.status_code}")

    # --- plumbing --------------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        response = self._send(method, url, **kwargs)
        if response.status_code == 400 and HTTPS_ONLY in response.text and self._http.base_url.scheme == "http":
            # registry.tls: the registry speaks HTTPS only. Its certificate is not verified, as
            # dockerd does for registries on 127.0.0.0/8: kindplane's own registry, on this machine.
            self._http.close()
            self._http = httpx.Client(
                base_url=f"https://{self.address}", timeout=self._timeout, verify=False, auth=self._auth
            )
            response = self._send(method, url, **kwargs)
        return response

    def _unauthorized(self) -> str:
        if self._auth:
            return (
                f"{self.address} refused user {self._auth[0]!r} and the password (HTTP 401): export the password "
                "the registry was made with in registry.auth.passwordEnv, or run `kindplane up` to set the new one"
            )
        return (
            f"{self.address} asks for a user name and password (HTTP 401): set registry.auth in kindplane.yaml "
            "and export its passwordEnv"
        )

    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.ConnectError:
            raise RegistryUnreachable(
                f"nothing answers on {self.address}: the registry container is not running or not published "
                f"on that port"
            ) from None
        except httpx.TimeoutException:
            raise RegistryUnreachable(f"{self.address} did not answer within the timeout") from None
        except httpx.HTTPError as exc:
            raise RegistryUnreachable(f"cannot talk to {self.address}: {exc}") from None

    def _paged(self, path: str, key: str, page_size: Optional[int], repository: str = "") -> Iterator[str]:
        # The registry pages with `n`/`last` and announces the next page in a Link header
        # (`</v2/_catalog?last=x&n=100>; rel="next"`), relative to the registry's root.
        url: Optional[str] = path
        params = {"n": str(page_size)} if page_size else None
        while url:
            response = self.request("GET", url, params=params)
            self._raise_for_status(response, repository, "")
            yield from response.json().get(key) or []
            url = response.links.get("next", {}).get("url")
            params = None  # the Link URL carries n and last itself

    def _head_digest(self, repository: str, reference: str) -> str:
        response = self.request("HEAD", f"/v2/{repository}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})
        self._raise_for_status(response, repository, reference)
        digest = response.headers.get("Docker-Content-Digest")
        return digest if digest else self.manifest(repository, reference).digest

    def _index_size(self, repository: str, index: dict) -> tuple[Optional[int], list[str]]:
        blobs: dict[str, int] = {}
        platforms = []
        for entry in index.get("manifests") or []:
            platform = entry.get("platform") or {}
            if platform.get("os"):
                platforms.append(
                    "/".join(
                        p for p in (platform.get("os"), platform.get("architecture"), platform.get("variant")) if p
                    )
                )
            response = self.request(
                "GET",
                f"/v2/{repository}/manifests/{entry['digest']}",
                headers={"Accept": MANIFEST_ACCEPT},
            )
            if response.status_code != 200:
                continue  # a partial index (only some platforms pushed) is normal
            document = response.json()
            for blob in [document.get("config") or {}] + list(document.get("layers") or []):
                if "digest" in blob and isinstance(blob.get("size"), int):
                    blobs[blob["digest"]] = blob["size"]
        return (sum(blobs.values()) if blobs else None), platforms

    def _raise_for_status(self, response: httpx.Response, repository: str, reference: str) -> None:
        if response.status_code < 400:
            return
        if response.status_code == 401:
            raise RegistryError(self._unauthorized())
        codes = _error_codes(response)
        where = (
            f"{repository}:{reference}"
            if reference and not reference.startswith("sha256:")
            else (f"{repository}@{reference}" if reference else repository)
        )
        if response.status_code == 405 or "UNSUPPORTED" in codes:
            raise DeleteDisabled(
                f"{self.address} refuses deletes: run the registry with "
                f"REGISTRY_STORAGE_DELETE_ENABLED=true (kindplane's registry container does)"
            )
        if "NAME_UNKNOWN" in codes:
            raise RepositoryNotFound(f"no repository {repository!r} in {self.address}")
        if "MANIFEST_UNKNOWN" in codes or (response.status_code == 404 and reference):
            raise TagNotFound(f"{where} not found in {self.address}")
        if "NAME_INVALID" in codes or "TAG_INVALID" in codes:
            raise RegistryError(f"{where}: the registry says the name is invalid")
        raise RegistryError(
            f"{self.address}: HTTP {response.status_code} for {response.request.method} {response.request.url.path}"
        )


def _error_codes(response: httpx.Response) -> set[str]:
    # HEAD responses have no body, so HEAD 404s are told apart by the caller's context.
    try:
        return {e.get("code", "") for e in response.json().get("errors") or []}
    except (ValueError, AttributeError):
        return set()


def _blob_total(document: dict) -> Optional[int]:
    blobs = [document.get("config") or {}] + list(document.get("layers") or [])
    sizes = [b["size"] for b in blobs if isinstance(b.get("size"), int)]
    return sum(sizes) if sizes else None
