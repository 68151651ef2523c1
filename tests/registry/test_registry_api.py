"""The registry API client against a real registry (Debian's docker-registry on loopback)."""

from __future__ import annotations

import httpx
import pytest
from harness.names import free_port
from registry_fixtures import LocalRegistry

from kindplane.ops.registry.http_api import (
    DOCKER_MANIFEST,
    DeleteDisabled,
    RegistryClient,
    RegistryUnreachable,
    RepositoryNotFound,
    TagNotFound,
)

pytestmark = pytest.mark.docker


def _push(images, registry, repo, tag, **kw):
    ref = images.make(f"{registry.address}/{repo}:{tag}", **kw)
    images.push(ref)
    return ref


def test_catalog_follows_link_pagination_across_pages(local_registry, images):
    repos = sorted(f"app{i}" for i in range(5))
    for repo in repos:
        _push(images, local_registry, repo, "v1", payload=repo.encode())
    with RegistryClient(local_registry.address) as client:
        # n=2 makes the registry answer 2 names and a Link to the next page: 3 pages in all.
        first_page = httpx.get(f"http://{local_registry.address}/v2/_catalog", params={"n": 2})
        assert first_page.json()["repositories"] == repos[:2]
        assert 'rel="next"' in first_page.headers["Link"]
        assert client.repositories(page_size=2) == repos
        assert client.repositories() == repos


def test_tags_follow_pagination_and_manifest_gives_digest_and_size(local_registry, images):
    for tag in ("a", "b", "c"):
        _push(images, local_registry, "team/web", tag, payload=tag.encode() * 1000)
    with RegistryClient(local_registry.address) as client:
        # registry 2.8 ignores n= on tags/list (no Link): all tags, in storage order, sorted here.
        assert client.tags("team/web", page_size=2) == ["a", "b", "c"]
        manifest = client.manifest("team/web", "b")
    # Read the same manifest by hand: digest header and config + layer sizes must agree.
    raw = httpx.get(f"http://{local_registry.address}/v2/team/web/manifests/b", headers={"Accept": DOCKER_MANIFEST})
    document = raw.json()
    assert manifest.digest == raw.headers["Docker-Content-Digest"]
    assert manifest.media_type == DOCKER_MANIFEST
    assert manifest.size == document["config"]["size"] + sum(item["size"] for item in document["layers"])
    assert not manifest.is_index


def test_delete_by_digest_removes_the_tag_and_others_stay(local_registry, images):
    _push(images, local_registry, "app", "old", payload=b"old")
    _push(images, local_registry, "app", "new", payload=b"new")
    with RegistryClient(local_registry.address) as client:
        old = client.manifest("app", "old")
        assert client.tags_sharing("app", old.digest) == ["old"]
        client.delete("app", old.digest)
        assert client.tags("app") == ["new"]
        with pytest.raises(TagNotFound, match="app:old not found"):
            client.manifest("app", "old")


def test_unknown_repository_and_tag_are_told_apart(local_registry, images):
    _push(images, local_registry, "app", "v1")
    with RegistryClient(local_registry.address) as client:
        with pytest.raises(RepositoryNotFound, match="no repository 'nope'"):
            client.tags("nope")
        with pytest.raises(TagNotFound, match="app:v9 not found"):
            client.manifest("app", "v9")


def test_closed_port_is_reported_as_unreachable():
    with RegistryClient(f"localhost:{free_port()}", timeout=2) as client:
        with pytest.raises(RegistryUnreachable, match="nothing answers on localhost:"):
            client.ping()


def test_delete_refused_when_registry_has_delete_disabled(local_registry, images, tmp_path):
    _push(images, local_registry, "app", "v1")
    digest = RegistryClient(local_registry.address).manifest("app", "v1").digest
    # Same storage, served without delete enabled: what a hand-made `docker run registry:2` is.
    readonly = LocalRegistry(tmp_path / "ro", free_port(), storage=local_registry.storage, delete=False)
    try:
        with RegistryClient(readonly.address) as client:
            with pytest.raises(DeleteDisabled, match="REGISTRY_STORAGE_DELETE_ENABLED=true"):
                client.delete("app", digest)
            assert client.tags("app") == ["v1"]
    finally:
        readonly.stop()
