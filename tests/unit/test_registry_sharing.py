"""external: true (one registry, several clusters), listenAddress and image: schema, program, look-up."""

from __future__ import annotations

import pulumi
import pytest
from support.pulumi_mocks import COMMAND, CONFIGMAP, CONTAINER, IMAGE, VOLUME, run_program

from kindplane.cli.lifecycle_cmd import down_question
from kindplane.cli.state import RegistryFate, registry_fate_of
from kindplane.core.config import parse_config
from kindplane.core.contract import SHARED_REGISTRY_TYPE
from kindplane.core.errors import ConfigError
from kindplane.core.naming import registry_labels
from kindplane.core.render import commands
from kindplane.core.render.all_warnings import all_warnings
from kindplane.core.render.containerd import hosts_toml
from kindplane.core.render.discovery import CONFIGMAP_KEY
from kindplane.ops.docker_lookup import AdoptionError
from kindplane.ops.registry.external import SharedRegistryFound, published_host_port, shared_registry_from
from kindplane.ops.registry.pulling_clusters import one_node_per_cluster
from kindplane.program import build, main

EXTERNAL = "cluster: {name: e2e, nodes: {workers: 1}, registry: {enabled: true, external: true}}"
SCRIPT_ID = "c" * 64
OWNER = "kindplane/test"  # the mocks' project/stack


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "k.yaml")
    return [str(p) for p in caught.value.problems]


def never_adopt(config, _owner):
    """The keeper's look-up: an external registry is never among the containers it keeps."""
    from kindplane.ops.keeper import wanted_containers

    assert [w.role for w in wanted_containers(config.cluster, "p/s")] == []
    return {}


def found_on(port: int, container_id: str = SCRIPT_ID):
    seen = []

    def lookup(registry, owner):
        seen.append((registry.name, owner))
        return SharedRegistryFound(container_id, port, None)

    return lookup, seen


# --- schema ------------------------------------------------------------------------------------


def test_new_registry_keys_default_to_loopback_registry_2_and_owned():
    registry = parse_config("cluster: {name: dev, registry: {enabled: true}}").cluster.registry
    assert (registry.external, registry.listen_address, registry.image) == (False, "127.0.0.1", "registry:2")


def test_listen_address_and_image_are_validated_with_their_key_paths():
    assert problems("cluster: {name: d, registry: {enabled: true, listenAddress: 'localhost', image: 'a b'}}") == [
        "k.yaml: cluster.registry.image: must be an image reference such as kindest/node:v1.31.0, got 'a b'",
        "k.yaml: cluster.registry.listenAddress: must be an IP address such as 127.0.0.1, got 'localhost'",
    ]
    assert problems("cluster: {name: d, registry: {enabled: true, listenAddress: '$(id)'}}") == [
        "k.yaml: cluster.registry.listenAddress: must be an IP address such as 127.0.0.1, got '$(id)'",
    ]
    ok = parse_config(
        "cluster: {name: d, registry: {enabled: true, listenAddress: '::1', image: 'mirror.example:5000/lib/registry:2.8'}}"
    )
    assert (ok.cluster.registry.listen_address, ok.cluster.registry.image) == (
        "::1",
        "mirror.example:5000/lib/registry:2.8",
    )


def test_external_refuses_the_owners_settings_and_a_disabled_registry():
    assert problems(
        "cluster: {name: d, registry: {external: true, port: 5002, persistent: false, listenAddress: 0.0.0.0, image: 'r:2'}}"
    ) == [
        "k.yaml: cluster.registry.enabled: must be true when external is true",
        "k.yaml: cluster.registry.image: is the registry owner's setting; a stack with external: true never creates the registry; remove it",
        "k.yaml: cluster.registry.listenAddress: is the registry owner's setting; a stack with external: true never creates the registry; remove it",
        "k.yaml: cluster.registry.persistent: is the registry owner's setting; a stack with external: true never creates the registry; remove it",
        "k.yaml: cluster.registry.port: is read from the running registry container when external is true; remove it",
    ]
    assert problems("cluster: {name: d, registry: {enabled: true, external: 'yes'}}") == [
        "k.yaml: cluster.registry.external: must be true or false, got 'yes'",
    ]


def test_an_external_registry_does_not_reserve_the_default_port_for_port_mappings():
    # Its real port is only known at up (preflight checks it there).
    parse_config(
        "cluster: {name: d, portMappings: [{containerPort: 80, hostPort: 5001}], registry: {enabled: true, external: true}}"
    )


def test_validate_warns_only_for_a_registry_bound_beyond_loopback():
    def warnings(text):
        return [f"k.yaml: {w}" for w in all_warnings(parse_config(text).cluster)]

    assert warnings("cluster: {name: d, registry: {enabled: true}}") == []
    assert warnings("cluster: {name: d, registry: {enabled: true, listenAddress: '::1'}}") == []
    assert warnings("cluster: {name: d, registry: {enabled: false, listenAddress: 0.0.0.0}}") == []
    assert warnings("cluster: {name: d, registry: {enabled: true, listenAddress: 0.0.0.0}}") == [
        "k.yaml: cluster.registry.listenAddress: 0.0.0.0 makes the registry reachable from the network: "
        "anyone who reaches this host on port 5001 can push and pull without authentication; use "
        "127.0.0.1 unless that is what you want"
    ]
    [specific] = warnings("cluster: {name: d, registry: {enabled: true, port: 5003, listenAddress: 192.168.1.20}}")
    assert specific.endswith("; pushes to localhost:5003 will not reach it (only 192.168.1.20 is bound)")


# --- the program -------------------------------------------------------------------------------


def test_listen_address_and_image_reach_the_container_and_its_image():
    config = parse_config(
        "cluster: {name: d, registry: {enabled: true, listenAddress: 0.0.0.0, image: 'mirror.example/registry:2'}}"
    )
    result = run_program(lambda: build(config, lambda c, o: None))
    assert result.one(CONTAINER).inputs["ports"] == [{"internal": 5000, "external": 5001, "ip": "0.0.0.0"}]
    assert result.one(IMAGE).inputs == {"name": "mirror.example/registry:2", "keepLocally": True}


def test_an_external_registry_is_wired_on_its_real_port_and_never_created():
    config = parse_config(EXTERNAL)
    lookup, seen = found_on(5001)
    result = run_program(lambda: build(config, never_adopt, lookup))
    assert seen == [("kind-registry", OWNER)]
    # No Docker resource at all: nothing in this stack's state can delete the registry.
    assert result.of_type(CONTAINER) == [] and result.of_type(VOLUME) == [] and result.of_type(IMAGE) == []
    wired = config.cluster.registry.model_copy(update={"port": 5001})
    writes = [r for r in result.of_type(COMMAND) if "-hosts-" in r.name]
    assert [w.inputs["create"] for w in writes] == [
        commands.write_hosts_toml(node, wired) for node in ("e2e-control-plane", "e2e-worker")
    ]
    assert "/etc/containerd/certs.d/localhost:5001" in writes[0].inputs["create"]
    assert writes[0].inputs["stdin"] == hosts_toml(wired) == '[host."http://kind-registry:5000"]\n'
    assert all(w.depends_on_names() == ["kindplane-cluster-kind"] for w in writes)
    join = result.resources["kindplane-wiring-network"]
    assert join.inputs["create"] == commands.join_kind_network(wired.name, "kind")
    assert "delete" not in join.inputs  # left on the network: other clusters use it
    assert join.inputs["triggers"] == [SCRIPT_ID]  # the owner recreating it → joined again
    data = result.one(CONFIGMAP).inputs["data"][CONFIGMAP_KEY]
    assert 'host: "localhost:5001"' in data and 'hostFromClusterNetwork: "kind-registry:5000"' in data
    assert (result.outputs["registryHost"], result.outputs["registryClusterAddress"]) == (
        "localhost:5001",
        "kind-registry:5000",
    )


def test_the_port_comes_from_docker_not_from_the_default():
    lookup, _ = found_on(5317)
    result = run_program(lambda: build(parse_config(EXTERNAL), never_adopt, lookup))
    assert result.outputs["registryHost"] == "localhost:5317"
    assert 'host: "localhost:5317"' in result.one(CONFIGMAP).inputs["data"][CONFIGMAP_KEY]


def test_a_missing_external_registry_stops_the_program_before_any_resource(tmp_path, monkeypatch):
    path = tmp_path / "kindplane.yaml"
    path.write_text(EXTERNAL)
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key: str(path))
    registered = []

    def missing(registry, owner):
        registered.append("looked")
        return shared_registry_from(None, registry, owner)

    with pytest.raises(pulumi.RunError) as caught:
        run_program(lambda: main(never_adopt, missing))
    assert str(caught.value) == (
        "cluster.registry.external is true, but no container named 'kind-registry' exists; start the "
        "registry first (`kindplane up` of the stack that owns it, or kind's registry script), or set "
        "external: false to let this stack create it"
    )
    assert registered == ["looked"]


# --- finding the running registry --------------------------------------------------------------


def script_registry(status: str = "running", live_port: str | None = "5001", created_port: str = "5001") -> dict:
    """`docker inspect` of kind's script registry: -p "127.0.0.1:5001:5000", no labels."""
    live = {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": live_port}]} if live_port else {}
    return {
        "Id": SCRIPT_ID,
        "State": {"Status": status},
        "Config": {"Image": "registry:2", "Labels": {}},
        "HostConfig": {"PortBindings": {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": created_port}]}},
        "NetworkSettings": {"Ports": live},
    }


def test_kinds_script_registry_is_used_with_its_own_port():
    spec = parse_config(EXTERNAL).cluster.registry
    assert shared_registry_from(script_registry(), spec, OWNER) == SharedRegistryFound(SCRIPT_ID, 5001, None)
    # -p 127.0.0.1::5000 (a random port): only the running container knows it.
    assert published_host_port(script_registry(live_port="49153", created_port="")) == 49153


def test_another_stacks_registry_is_used_and_its_owner_named():
    spec = parse_config(EXTERNAL).cluster.registry
    owned = parse_config("cluster: {name: dev, registry: {enabled: true}}").cluster.registry
    attrs = script_registry() | {"Config": {"Labels": registry_labels(owned, "kindplane/dev")}}
    assert shared_registry_from(attrs, spec, OWNER).owner == "kindplane/dev"
    with pytest.raises(AdoptionError, match="is this stack's own registry \\(kindplane/test\\); set external: false"):
        shared_registry_from(script_registry() | {"Config": {"Labels": registry_labels(owned, OWNER)}}, spec, OWNER)


def test_a_stopped_or_unpublished_external_registry_is_refused_with_the_fix():
    spec = parse_config(EXTERNAL).cluster.registry
    with pytest.raises(AdoptionError) as stopped:
        shared_registry_from(script_registry(status="exited"), spec, OWNER)
    assert str(stopped.value) == (
        "the external registry container 'kind-registry' is exited, not running; start it with "
        "`docker start kind-registry` and run up again"
    )
    unpublished = script_registry(live_port=None) | {"HostConfig": {}}
    with pytest.raises(AdoptionError, match="publishes no host port for 5000/tcp"):
        shared_registry_from(unpublished, spec, OWNER)


# --- down: what it does to a shared registry ---------------------------------------------------


def test_the_state_of_an_external_stack_says_its_registry_is_left_alone():
    resources = [
        {"type": "pulumi:pulumi:Stack", "urn": "s"},
        {"type": SHARED_REGISTRY_TYPE, "outputs": {"name": "kind-registry", "containerId": SCRIPT_ID}},
    ]
    fate = registry_fate_of(resources)
    assert fate == RegistryFate("kind-registry", True, None, external=True)
    assert (
        down_question(fate, "e2e", False)
        == "Destroy kind cluster e2e? (registry kind-registry is external: shared, left running)"
    )


def test_users_are_looked_for_on_one_containerd_node_of_each_other_cluster():
    def node(name, cluster, role):
        return {
            "Id": f"id-{name}",
            "Names": [f"/{name}"],
            "Labels": {"io.x-k8s.kind.cluster": cluster, "io.x-k8s.kind.role": role},
        }

    containers = [
        node("ha-external-load-balancer", "ha", "external-load-balancer"),
        node("ha-control-plane2", "ha", "control-plane"),
        node("ha-control-plane", "ha", "control-plane"),
        node("dev-control-plane", "dev", "control-plane"),  # the cluster being destroyed
        node("e2e-worker", "e2e", "worker"),
    ]
    assert one_node_per_cluster(containers, {"dev"}) == {"e2e": "id-e2e-worker", "ha": "id-ha-control-plane"}


def test_the_environment_component_alone_asks_for_the_looked_up_registry():
    from kindplane.core.components import Environment
    from kindplane.ops.registry.external import with_registry_port

    with pytest.raises(ValueError, match="cluster.registry.external is true: pass shared_registry_id"):
        run_program(lambda: Environment("lib", parse_config(EXTERNAL)))
    config = with_registry_port(parse_config(EXTERNAL), 5444)
    result = run_program(lambda: Environment("lib", config, shared_registry_id=SCRIPT_ID))
    assert result.resources["lib-wiring-network"].inputs["triggers"] == [SCRIPT_ID]
    assert result.of_type(CONTAINER) == []
    assert "/etc/containerd/certs.d/localhost:5444" in result.resources["lib-wiring-hosts-e2e-worker"].inputs["create"]


def test_a_listen_address_this_host_does_not_have_is_refused_before_anything(monkeypatch):
    from kindplane.ops import preflight
    from kindplane.ops.kept_container import Action, Decision

    monkeypatch.setattr(preflight, "look", lambda client, wanted: Decision(Action.CREATE))
    spec = parse_config("cluster: {name: d, registry: {enabled: true, listenAddress: 203.0.113.9}}").cluster.registry
    assert preflight.registry_problems(spec, None, OWNER) == [
        "cannot bind 203.0.113.9 (cluster.registry.listenAddress): Cannot assign requested address; "
        "use an address of this host, such as 127.0.0.1 or 0.0.0.0"
    ]


def test_doctor_checks_the_published_address_against_listen_address():
    from kindplane.ops.doctor import Doctor

    def published(text, host_ip):
        doctor = Doctor(parse_config(text))
        doctor.registry_attrs = script_registry() | {
            "NetworkSettings": {"Ports": {"5000/tcp": [{"HostIp": host_ip, "HostPort": "5001"}]}}
        }
        return doctor.check_loopback_only()

    everywhere = "cluster: {name: d, registry: {enabled: true, listenAddress: 0.0.0.0}}"
    assert (published(everywhere, "0.0.0.0").name, published(everywhere, "0.0.0.0").status) == (
        "registry published on 0.0.0.0:5001 only",
        "ok",
    )
    assert published("cluster: {name: d, registry: {enabled: true}}", "0.0.0.0").detail.startswith(
        "publishes 0.0.0.0:5001 (reachable from other machines)"
    )


def test_the_live_address_is_the_external_registrys_published_port_and_only_then():
    from kindplane.core.naming import registry_host_address
    from kindplane.ops.registry.external import with_live_port

    found = SharedRegistryFound(SCRIPT_ID, 5444, None)
    live = with_live_port(parse_config(EXTERNAL), found)
    assert registry_host_address(live.cluster.registry) == "localhost:5444"
    assert live.cluster.registry.name == "kind-registry" and live.cluster.name == "e2e"
    own = parse_config("cluster: {name: d, registry: {enabled: true, port: 5002}}")
    assert with_live_port(own, found) is own  # a registry of this stack is where its config says
    assert registry_host_address(own.cluster.registry) == "localhost:5002"
