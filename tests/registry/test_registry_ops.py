"""push (docker SDK → real registry) and gc (the registry's own collector, measured with du)."""

from __future__ import annotations

import httpx
import pytest

from kindplane.core.image_ref import parse_image_ref
from kindplane.ops.registry.http_api import RegistryClient
from kindplane.ops.registry.push_gc import OpsError, collect_garbage, push_image

pytestmark = pytest.mark.docker


def test_push_tags_onto_the_registry_and_the_pushed_tag_is_listed(local_registry, images):
    repo = f"kp{local_registry.port}/my-app"  # unique per run: local images are shared
    local = images.make(f"{repo}:v1", payload=b"v1")
    result = push_image(parse_image_ref(local), local_registry.address)
    images.track(result.target)
    assert result.target == f"{local_registry.address}/{repo}:v1"
    with RegistryClient(local_registry.address) as client:
        assert client.repositories() == [repo]
        assert client.tags(repo) == ["v1"]
        assert client.manifest(repo, "v1").digest == result.digest


def test_push_of_a_missing_local_image_names_it(local_registry, images):
    with pytest.raises(OpsError, match="no local image 'kp-absent-image:nope'"):
        push_image(parse_image_ref("kp-absent-image:nope"), local_registry.address)


def test_gc_after_delete_reclaims_the_layer_bytes(local_registry, images):
    ref = images.make(f"{local_registry.address}/big:v1", size=300_000)
    images.push(ref)
    keep = images.make(f"{local_registry.address}/small:v1", payload=b"keep")
    images.push(keep)
    with RegistryClient(local_registry.address) as client:
        manifest = client.manifest("big", "v1")
        layer = httpx.get(
            f"http://{local_registry.address}/v2/big/manifests/v1", headers={"Accept": manifest.media_type}
        ).json()["layers"][0]
        client.delete("big", manifest.digest)

    result = collect_garbage(local_registry.host_runner, str(local_registry.config), str(local_registry.storage))
    # The random 300 kB layer cannot compress: the bytes reclaimed must cover it.
    assert layer["size"] >= 300_000
    assert result.reclaimed >= layer["size"]
    assert result.before - result.after == result.reclaimed
    blob = httpx.head(f"http://{local_registry.address}/v2/big/blobs/{layer['digest']}")
    assert blob.status_code == 404
    # What is still tagged survives the collection.
    with RegistryClient(local_registry.address) as client:
        assert client.manifest("small", "v1").size


def test_gc_with_nothing_to_collect_reclaims_nothing(local_registry, images):
    images.push(images.make(f"{local_registry.address}/app:v1"))
    result = collect_garbage(local_registry.host_runner, str(local_registry.config), str(local_registry.storage))
    assert result.reclaimed == 0 and result.before == result.after > 0
