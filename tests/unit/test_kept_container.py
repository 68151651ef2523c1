"""The one decision for every container kindplane keeps, over its whole table (pure: no Docker).

Rows: what `docker inspect` shows under the name (nothing, a foreign container, another role,
another stack's, this stack's with its data in the volume / elsewhere, running / stopped).
Columns: the volume `<name>-data` (none, this stack's, an older kindplane's, another stack's, one
kindplane did not make) and, when Docker has no container, whether the stack's state holds one.
"""

from __future__ import annotations

import itertools

import pytest

from kindplane.core.config import parse_config
from kindplane.core.naming import mirror_labels, registry_labels
from kindplane.ops.keeper import wanted_containers
from kindplane.ops.kept_container import (
    Action,
    DataMount,
    InState,
    SeenContainer,
    SeenVolume,
    Wanted,
    data_mount,
    decide,
    seen_container,
    seen_volume,
)

OWNER = "kindplane/dev"
ID = "c" * 64
ANONYMOUS = "d" * 64
CONFIG = parse_config(
    "cluster:\n  name: dev\n  registry: {enabled: true, persistent: true}\n"
    "  mirrors:\n    - {remote: 'https://registry-1.docker.io', host: docker.io}\n"
)
REGISTRY, MIRROR = wanted_containers(CONFIG.cluster, OWNER)

IN_VOLUME = DataMount("volume", "kind-registry-data")


def ours(data=IN_VOLUME, running=True, owner=OWNER, role="registry") -> SeenContainer:
    return SeenContainer(ID, running, "running" if running else "exited", True, role, owner, data)


FOREIGN = SeenContainer(ID, True, "running", False, None, None, DataMount("anonymous", ANONYMOUS))
CONTAINERS = {
    "none": None,
    "foreign": FOREIGN,
    "a kindplane mirror": ours(role="mirror"),
    "another stack's": ours(owner="kindplane/e2e"),
    "ours, running": ours(),
    "ours, older kindplane (no owner label)": ours(owner=None),
    "ours, stopped": ours(running=False),
    "ours, data in an anonymous volume": ours(data=DataMount("anonymous", ANONYMOUS)),
    "ours, data in the container's layer": ours(data=DataMount("layer")),
    "ours, data in a host folder": ours(data=DataMount("bind", "/srv/registry")),
}
VOLUMES = {
    "none": None,
    "ours": SeenVolume(True, OWNER),
    "older kindplane's": SeenVolume(True, None),
    "another stack's": SeenVolume(True, "kindplane/e2e"),
    "not kindplane's": SeenVolume(False, None),
}
MOVED = {"ours, data in an anonymous volume", "ours, data in the container's layer", "ours, data in a host folder"}


def expected(container: str, volume: str, state: InState) -> tuple[Action, str | None]:
    """The table, written out as rules a reader can check against docs/persistence.md."""
    if container == "foreign":
        return Action.REFUSE, "not created by kindplane"
    if container == "a kindplane mirror":
        return Action.REFUSE, "is kindplane's mirror container, not a registry"
    if container == "another stack's":
        return Action.REFUSE, "the registry container 'kind-registry' belongs to kindplane stack 'kindplane/e2e'"
    volume_refusal = {
        "another stack's": "the registry volume 'kind-registry-data' belongs to kindplane stack 'kindplane/e2e'",
        "not kindplane's": "a volume named 'kind-registry-data' exists but was not created by kindplane",
    }.get(volume)
    if container in MOVED:
        return (Action.REFUSE, volume_refusal) if volume_refusal else (Action.MOVE_DATA, None)
    if container == "ours, stopped":
        return Action.START, None
    if container != "none":
        return Action.KEEP, None  # the volume is not looked at: the container shows the data in it
    if volume_refusal:
        return Action.REFUSE, volume_refusal
    if state is InState.YES:
        return Action.REFUSE, "is in stack 'dev''s state but not in Docker"
    return Action.CREATE, None


CELLS = list(itertools.product(CONTAINERS, VOLUMES, InState))


@pytest.mark.parametrize(("container", "volume", "state"), CELLS, ids=[f"{c}|{v}|{s.value}" for c, v, s in CELLS])
def test_every_cell_of_the_table(container, volume, state):
    seen = CONTAINERS[container]
    # The keeper inspects the volume only when the container is missing or keeps its data elsewhere.
    looked = VOLUMES[volume] if seen is None or seen.data != IN_VOLUME else None
    decision = decide(REGISTRY, seen, looked, state if seen is None else InState.UNKNOWN)
    action, refusal = expected(container, volume, state)
    assert decision.action is action
    if refusal:
        assert refusal in decision.refusal
        assert decision.container_id is None  # nothing is ever removed on a refusal
    else:
        assert decision.refusal is None
        # Only a container this stack made may be removed before Pulumi creates its successor.
        assert decision.container_id == (None if seen is None else ID)
    if action is Action.MOVE_DATA:
        assert decision.data == seen.data


def test_the_state_matters_only_when_docker_has_no_container():
    for state in InState:
        assert decide(REGISTRY, ours(), None, state).action is Action.KEEP


def test_a_foreign_registry_is_refused_with_where_its_data_is_and_the_fix():
    assert decide(REGISTRY, FOREIGN, None).refusal == (
        "a container named 'kind-registry' exists but was not created by kindplane (no "
        "dev.kindplane.managed-by=kindplane label); its data is in anonymous volume dddddddddddd, which "
        "kindplane leaves alone. To use it as it is, set cluster.registry.external: true; else remove it "
        "with `docker rm -f kind-registry` or choose another cluster.registry.name"
    )


def test_a_foreign_mirror_is_refused_naming_its_config_key():
    assert decide(MIRROR, FOREIGN, None).refusal == (
        "a container named 'kindplane-mirror-docker-io' exists but is not a kindplane mirror (no "
        "dev.kindplane.managed-by=kindplane, dev.kindplane.role=mirror labels); its data is in anonymous "
        "volume dddddddddddd, which kindplane leaves alone. Remove it with `docker rm -f "
        "kindplane-mirror-docker-io` or set another cluster.mirrors[0].name"
    )


def test_another_stacks_registry_is_refused_with_sharing_offered():
    assert decide(REGISTRY, ours(owner="kindplane/e2e"), None).refusal == (
        "the registry container 'kind-registry' belongs to kindplane stack 'kindplane/e2e', not to this "
        "stack 'kindplane/dev'. To share it, set cluster.registry.external: true (and drop port, persistent, "
        "listenAddress, image); else give this config its own cluster.registry.name and "
        "cluster.registry.port, or remove that stack first (`kindplane down -s e2e`)"
    )


def test_another_stacks_mirror_volume_is_refused_naming_the_key():
    assert decide(MIRROR, None, SeenVolume(True, "kindplane/e2e")).refusal == (
        "the mirror volume 'kindplane-mirror-docker-io-data' belongs to kindplane stack 'kindplane/e2e', "
        "not to this stack 'kindplane/dev'. Give this config its own cluster.mirrors[0].name, or remove "
        "that stack first (`kindplane down -s e2e`)"
    )


def test_a_volume_kindplane_did_not_make_is_never_taken_over():
    assert decide(REGISTRY, None, SeenVolume(False, None)).refusal == (
        "a volume named 'kind-registry-data' exists but was not created by kindplane (no "
        "dev.kindplane.managed-by=kindplane label); kindplane keeps the registry's data in that volume "
        "and will not take over one it did not make. Choose another cluster.registry.name, or remove the "
        "volume once you no longer need its content (`docker volume rm kind-registry-data`)"
    )


def test_a_container_gone_from_docker_but_in_the_state_asks_for_the_refresh_pulumi_needs():
    assert decide(REGISTRY, None, SeenVolume(True, OWNER), InState.YES).refusal == (
        "the registry container 'kind-registry' is in stack 'dev''s state but not in Docker (removed by "
        "hand?); its data is still in volume 'kind-registry-data'. Pulumi would not create it again "
        "without a refresh: run `pulumi refresh -s dev --yes` and then up again (`kindplane up` refreshes "
        "by itself)"
    )


# --- what one inspect shows ------------------------------------------------------------------


def inspected(labels, mounts, running=True):
    return {
        "Id": ID,
        "State": {"Running": running, "Status": "running" if running else "exited"},
        "Config": {"Labels": labels},
        "Mounts": mounts,
    }


def test_inspect_data_is_read_into_the_facts_the_decision_needs():
    spec = CONFIG.cluster.registry
    mount = {"Type": "volume", "Name": "kind-registry-data", "Destination": "/var/lib/registry"}
    assert seen_container(inspected(registry_labels(spec, OWNER), [mount])) == ours()
    assert seen_container(inspected(mirror_labels(CONFIG.cluster.mirrors[0], OWNER), [], running=False)) == (
        SeenContainer(ID, False, "exited", True, "mirror", OWNER, DataMount("layer"))
    )
    # Labels of another program that happen to use kindplane's keys do not make it ours.
    assert seen_container(inspected({"dev.kindplane.role": "registry"}, [])).managed_by_kindplane is False


def test_where_the_data_is():
    def at(mount):
        return data_mount({"Mounts": [mount, {"Type": "volume", "Name": "x", "Destination": "/elsewhere"}]})

    assert at({"Type": "volume", "Name": ANONYMOUS, "Destination": "/var/lib/registry"}) == DataMount(
        "anonymous", ANONYMOUS
    )
    assert at({"Type": "volume", "Name": "kind-registry-data", "Destination": "/var/lib/registry"}) == IN_VOLUME
    assert at({"Type": "bind", "Source": "/srv/r", "Destination": "/var/lib/registry"}) == DataMount("bind", "/srv/r")
    assert data_mount({"Mounts": None}) == DataMount("layer")
    assert DataMount("anonymous", ANONYMOUS).words() == "anonymous volume dddddddddddd"
    assert DataMount("layer").words() == "the container's own file system"


def test_volume_labels_are_read_from_the_volume_itself():
    spec = CONFIG.cluster.registry
    assert seen_volume({"Labels": registry_labels(spec, OWNER)}) == SeenVolume(True, OWNER)
    assert seen_volume({"Labels": None}) == SeenVolume(False, None)


def test_the_config_keeps_its_own_registry_and_every_mirror_never_an_external_registry():
    assert [(w.role, w.name, w.volume, w.name_key) for w in (REGISTRY, MIRROR)] == [
        ("registry", "kind-registry", "kind-registry-data", "cluster.registry.name"),
        ("mirror", "kindplane-mirror-docker-io", "kindplane-mirror-docker-io-data", "cluster.mirrors[0].name"),
    ]
    external = parse_config("cluster: {name: e2e, registry: {enabled: true, external: true}}")
    assert wanted_containers(external.cluster, OWNER) == []
    assert isinstance(REGISTRY, Wanted) and "dev.kindplane.persistent" not in REGISTRY.labels
