"""Which kept registry containers may be adopted (pure rules; the Docker tests run them for real)."""
from __future__ import annotations

import pytest

from kindplane.config import parse_config
from kindplane.docker_lookup import AdoptionError, adoption_id, is_kindplane_registry, registry_mismatches
from kindplane.naming import registry_labels

IMAGE_ID = "sha256:" + "a" * 64
CONTAINER_ID = "c" * 64


def registry(text="cluster: {name: dev, registry: {enabled: true, persistent: true}}"):
    return parse_config(text).cluster.registry


def kept_attrs(spec, port=None, host_ip="127.0.0.1", volume=None, labels=None, image=IMAGE_ID):
    return {
        "Id": CONTAINER_ID,
        "Image": image,
        "Config": {"Image": "registry:2", "Labels": registry_labels(spec) if labels is None else labels},
        "HostConfig": {"PortBindings": {"5000/tcp": [{"HostIp": host_ip, "HostPort": str(port or spec.port)}]}},
        "Mounts": [{"Type": "volume", "Name": volume or f"{spec.name}-data", "Destination": "/var/lib/registry"}],
    }


class FakeDocker:
    """Answers the two look-ups adoption makes, from fixed inspect data."""

    def __init__(self, container):
        self.api = self
        self.container = container

    def inspect_container(self, name):
        import docker

        if self.container is None:
            raise docker.errors.NotFound("no such container")
        return self.container

    def inspect_image(self, name):
        return {"Id": IMAGE_ID}


def test_matching_kept_registry_is_adopted_by_full_id():
    spec = registry()
    assert adoption_id(spec, FakeDocker(kept_attrs(spec))) == CONTAINER_ID


def test_no_container_means_create_fresh():
    assert adoption_id(registry(), FakeDocker(None)) is None


def test_foreign_container_with_our_name_is_refused_with_the_fix():
    spec = registry()
    with pytest.raises(AdoptionError) as caught:
        adoption_id(spec, FakeDocker(kept_attrs(spec, labels={"maintainer": "someone"})))
    assert str(caught.value) == (
        "a container named 'kind-registry' exists but was not created by kindplane "
        "(no dev.kindplane.managed-by=kindplane label); remove it with `docker rm -f kind-registry` "
        "or choose another cluster.registry.name"
    )


def test_kept_registry_on_another_port_asks_for_removal_and_keeps_images():
    spec = registry()
    with pytest.raises(AdoptionError) as caught:
        adoption_id(spec, FakeDocker(kept_attrs(spec, port=5009)))
    assert str(caught.value) == (
        "the kept registry container 'kind-registry' no longer matches the config: publishes "
        "127.0.0.1:5009, config wants 127.0.0.1:5001. Remove it with `docker rm -f kind-registry` "
        "(your images stay in volume 'kind-registry-data') and run up again"
    )


def test_mismatches_cover_wildcard_binding_volume_and_image():
    spec = registry()
    found = registry_mismatches(
        kept_attrs(spec, host_ip="", volume="other", image="sha256:" + "b" * 64), spec, IMAGE_ID
    )
    assert found == [
        "image is 'registry:2', not the local registry:2",
        "publishes 0.0.0.0:5001, config wants 127.0.0.1:5001",
        "stores images in 'other', config wants volume 'kind-registry-data'",
    ]


def test_non_persistent_mismatch_is_left_to_pulumi_to_replace():
    spec = registry("cluster: {name: dev, registry: {enabled: true}}")
    assert adoption_id(spec, FakeDocker(kept_attrs(spec, port=5009))) is None
    assert is_kindplane_registry(kept_attrs(spec))
