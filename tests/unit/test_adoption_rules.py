"""Which kept registry containers may be adopted (pure rules; the Docker tests run them for real)."""
from __future__ import annotations

import pytest

from kindplane.core.config import parse_config
from kindplane.ops.docker_lookup import AdoptionError, adoption_id, is_kindplane_registry, registry_mismatches
from kindplane.core.naming import registry_labels
from support.fake_docker import IMAGE_ID, FakeDocker

CONTAINER_ID = "c" * 64
OWNER = "kindplane/dev"


def registry(text="cluster: {name: dev, registry: {enabled: true, persistent: true}}"):
    return parse_config(text).cluster.registry


def kept_attrs(spec, port=None, host_ip="127.0.0.1", volume=None, labels=None, image=IMAGE_ID, owner=OWNER,
               env=("PATH=/bin", "REGISTRY_STORAGE_DELETE_ENABLED=true")):
    return {
        "Id": CONTAINER_ID,
        "Image": image,
        "Config": {"Image": "registry:2", "Labels": registry_labels(spec, owner) if labels is None else labels,
                   "Env": list(env)},
        "HostConfig": {"PortBindings": {"5000/tcp": [{"HostIp": host_ip, "HostPort": str(port or spec.port)}]}},
        "Mounts": [{"Type": "volume", "Name": volume or f"{spec.name}-data", "Destination": "/var/lib/registry"}],
    }


def test_matching_kept_registry_is_adopted_by_full_id():
    spec = registry()
    assert adoption_id(spec, OWNER, FakeDocker(kept_attrs(spec))) == CONTAINER_ID


def test_no_container_means_create_fresh():
    assert adoption_id(registry(), OWNER, FakeDocker(None)) is None


def test_foreign_container_with_our_name_is_refused_with_the_fix():
    spec = registry()
    with pytest.raises(AdoptionError) as caught:
        adoption_id(spec, OWNER, FakeDocker(kept_attrs(spec, labels={"maintainer": "someone"})))
    assert str(caught.value) == (
        "a container named 'kind-registry' exists but was not created by kindplane "
        "(no dev.kindplane.managed-by=kindplane label); to use it as it is, set "
        "cluster.registry.external: true; else remove it with `docker rm -f kind-registry` "
        "or choose another cluster.registry.name"
    )


def test_kept_registry_on_another_port_asks_for_removal_and_keeps_images():
    spec = registry()
    with pytest.raises(AdoptionError) as caught:
        adoption_id(spec, OWNER, FakeDocker(kept_attrs(spec, port=5009)))
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
        f"runs image {'b' * 12} (registry:2), but registry:2 here is now image {'a' * 12}",
        "publishes 0.0.0.0:5001, config wants 127.0.0.1:5001",
        "stores images in volume 'other', config wants volume 'kind-registry-data'",
    ]


def test_an_anonymous_volume_is_named_as_such_not_as_the_wanted_volume():
    spec = registry()
    anonymous = "d" * 64
    found = registry_mismatches(kept_attrs(spec, volume=anonymous), spec, IMAGE_ID)
    assert found == [
        f"stores images in anonymous volume {'d' * 12} (deleted with `docker rm -v`), "
        "config wants volume 'kind-registry-data'"
    ]


def test_another_stacks_registry_is_never_adopted_and_the_owner_is_named():
    spec = registry()
    with pytest.raises(AdoptionError) as caught:
        adoption_id(spec, OWNER, FakeDocker(kept_attrs(spec, owner="kindplane/e2e")))
    assert str(caught.value) == (
        "the registry container 'kind-registry' belongs to kindplane stack 'kindplane/e2e', not to "
        "this stack 'kindplane/dev'. To share it, set cluster.registry.external: true (and drop port, "
        "persistent, listenAddress, image); else give this config its own cluster.registry.name and "
        "cluster.registry.port, or remove that stack first (`kindplane down -s e2e`)"
    )


def test_another_stacks_kept_volume_is_refused_even_without_a_container():
    spec = registry()
    volume = {"Name": "kind-registry-data", "Labels": registry_labels(spec, "kindplane/e2e")}
    with pytest.raises(AdoptionError, match="the registry volume 'kind-registry-data' belongs to kindplane stack 'kindplane/e2e'"):
        adoption_id(spec, OWNER, FakeDocker(None, volume=volume))


def test_a_container_from_before_owner_labels_is_still_adopted():
    spec = registry()
    legacy = {k: v for k, v in registry_labels(spec, OWNER).items() if k not in ("dev.kindplane.owner", "dev.kindplane.persistent")}
    assert adoption_id(spec, OWNER, FakeDocker(kept_attrs(spec, labels=legacy))) == CONTAINER_ID


def test_persistent_turned_off_with_a_port_change_asks_for_removal_instead_of_a_409():
    # Created persistent (retained in state): Pulumi's replace would skip the delete and the
    # create would meet the old name. The images are in the named volume, which rm -f keeps.
    created = registry()
    now = registry("cluster: {name: dev, registry: {enabled: true, persistent: false, port: 5009}}")
    with pytest.raises(AdoptionError) as caught:
        adoption_id(now, OWNER, FakeDocker(kept_attrs(created)))
    assert str(caught.value) == (
        "the kept registry container 'kind-registry' no longer matches the config: publishes "
        "127.0.0.1:5001, config wants 127.0.0.1:5009. Remove it with `docker rm -f kind-registry` "
        "(its images are in volume 'kind-registry-data'; `docker volume rm` it once you no longer "
        "need them) and run up again"
    )


def test_non_persistent_mismatch_is_left_to_pulumi_to_replace():
    spec = registry("cluster: {name: dev, registry: {enabled: true}}")
    assert adoption_id(spec, OWNER, FakeDocker(kept_attrs(spec, port=5009))) is None
    assert is_kindplane_registry(kept_attrs(spec))


def test_a_kept_container_without_the_delete_setting_is_not_adopted():
    spec = registry()
    found = registry_mismatches(kept_attrs(spec, env=("PATH=/bin",)), spec, IMAGE_ID)
    assert found == ["lacks REGISTRY_STORAGE_DELETE_ENABLED=true in its environment (`kindplane registry rm` needs it)"]
