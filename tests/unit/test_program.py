"""The Pulumi program under Pulumi's mocks: resources, inputs, options, outputs, secrecy."""

from __future__ import annotations

import pulumi
import pytest
import yaml
from pulumi.runtime import rpc
from support.pulumi_mocks import (
    COMMAND,
    CONFIGMAP,
    CONTAINER,
    IMAGE,
    K8S_PROVIDER,
    KUBECONFIG_STDOUT,
    REGISTRY_IMAGE_ID,
    VOLUME,
    run_program,
)

from kindplane.core.config import parse_config
from kindplane.core.naming import LABEL_MANAGED_BY, LABEL_OWNER, LABEL_REGISTRY, LABEL_ROLE
from kindplane.core.render import commands
from kindplane.core.render.containerd import hosts_dirs, hosts_toml
from kindplane.core.render.discovery import local_registry_hosting
from kindplane.core.render.kind_config import kind_config_yaml
from kindplane.program import build, main

OFF = "cluster: {name: dev}"
ON = "cluster: {name: dev, registry: {enabled: true}}"
PERSISTENT = "cluster: {name: dev, registry: {enabled: true, persistent: true}}"
CUSTOM = "cluster: {name: ci, registry: {enabled: true, name: ci-registry, port: 5002}}"
HA = "cluster: {name: ha, nodes: {controlPlane: 3, workers: 2}, registry: {enabled: true}}"
FULL_ID = "f" * 64


def no_kept_registry(_config, _owner):
    return {}


def run(text: str, lookup=no_kept_registry):
    config = parse_config(text)
    return config, run_program(lambda: build(config, lookup))


def hosts_writes(result):
    return [r for r in result.of_type(COMMAND) if "-hosts-" in r.name]


def test_registry_disabled_creates_only_the_cluster():
    config, result = run(OFF)
    types = sorted(r.type for r in result.resources.values() if not r.type.startswith("kindplane:"))
    assert types == [COMMAND, COMMAND]  # kind create/delete + kubeconfig read
    cluster = result.resources["kindplane-cluster-kind"]
    assert cluster.inputs["create"] == "kind create cluster --name dev --config -"
    assert cluster.inputs["delete"] == "kind delete cluster --name dev"
    assert "containerdConfigPatches" not in yaml.safe_load(cluster.inputs["stdin"])
    assert set(result.outputs) == {"clusterName", "nodeNames", "kubeconfig"}


@pytest.mark.parametrize("text", [ON, PERSISTENT, CUSTOM, HA])
def test_registry_container_is_loopback_only_registry_2_with_labels(text):
    config, result = run(text)
    spec = config.cluster.registry
    container = result.one(CONTAINER)
    assert container.inputs["name"] == spec.name
    assert container.inputs["image"] == REGISTRY_IMAGE_ID
    assert result.one(IMAGE).inputs == {"name": "registry:2", "keepLocally": True}
    assert container.inputs["ports"] == [{"internal": 5000, "external": spec.port, "ip": "127.0.0.1"}]
    assert container.inputs["restart"] == "always"
    assert container.inputs["networkMode"] == "bridge"
    assert "REGISTRY_STORAGE_DELETE_ENABLED=true" in container.inputs["envs"]
    labels = {item["label"]: item["value"] for item in container.inputs["labels"]}
    assert labels == {
        LABEL_MANAGED_BY: "kindplane",
        LABEL_ROLE: "registry",
        LABEL_REGISTRY: spec.name,
        LABEL_OWNER: "kindplane/test",
    }
    assert container.opts.delete_before_replace is True
    # Pulumi sees every change (nothing ignored, nothing imported or read): a change the
    # container cannot take in place gives a new container on the same volume.
    assert not container.opts.import_ and not container.opts.ignore_changes and container.given_id is None


@pytest.mark.parametrize(("text", "persistent"), [(ON, False), (PERSISTENT, True)])
def test_the_images_live_in_the_named_volume_and_persistent_only_decides_what_down_keeps(text, persistent):
    _, result = run(text)
    container, volume = result.one(CONTAINER), result.one(VOLUME)
    assert volume.inputs["name"] == "kind-registry-data"
    assert container.inputs["volumes"] == [{"volumeName": "kind-registry-data", "containerPath": "/var/lib/registry"}]
    assert container.opts.retain_on_delete is persistent
    assert volume.opts.retain_on_delete is persistent
    # Written once: a label change would replace the volume, and a replacement deletes the images.
    assert volume.opts.ignore_changes == ["labels"]


def test_the_keepers_hooks_are_bound_to_the_kept_container_only():
    hook = pulumi.ResourceHookBinding(before_create=[lambda args: None])
    seen = []

    def kept(config, owner):
        seen.append(owner)
        return {"kind-registry": hook}

    _, result = run(PERSISTENT, kept)
    assert seen == ["kindplane/test"]  # the mocks' project and stack
    assert result.one(CONTAINER).opts.hooks.before_create == hook.before_create
    assert not (result.one(VOLUME).opts.hooks or pulumi.ResourceHookBinding()).before_create


@pytest.mark.parametrize("text", [ON, CUSTOM, HA])
def test_cluster_command_carries_the_kind_config_and_is_replaced_on_change(text):
    config, result = run(text)
    cluster = result.resources["kindplane-cluster-kind"]
    assert cluster.inputs["stdin"] == kind_config_yaml(config.cluster)
    assert cluster.inputs["triggers"] == [config.cluster.name, kind_config_yaml(config.cluster)]
    assert cluster.opts.delete_before_replace is True
    assert yaml.safe_load(cluster.inputs["stdin"])["containerdConfigPatches"]


@pytest.mark.parametrize("text", [ON, PERSISTENT, CUSTOM, HA])
def test_one_hosts_toml_write_per_node_after_cluster_and_registry(text):
    config, result = run(text)
    spec = config.cluster
    writes = hosts_writes(result)
    expected_nodes = result.outputs["nodeNames"]
    assert [w.inputs["create"] for w in writes] == [
        commands.write_hosts_toml(node, spec.registry) for node in expected_nodes
    ]
    for write in writes:
        assert write.inputs["stdin"] == hosts_toml(spec.registry)
        # Fan-out: every write waits for the cluster and the registry, never for another write.
        assert write.depends_on_names() == ["kindplane-cluster-kind", "kindplane-registry-container"]
        # Replaced (old directories removed first) when the cluster or the mirror directories change.
        assert write.inputs["triggers"] == ["kindplane-cluster-kind-id", *hosts_dirs(spec.registry)]
        assert write.opts.delete_before_replace is True
    assert not any("external-load-balancer" in w.inputs["create"] for w in writes)


def test_ha_cluster_has_five_writes_named_like_kind_nodes():
    _, result = run(HA)
    assert result.outputs["nodeNames"] == [
        "ha-control-plane",
        "ha-control-plane2",
        "ha-control-plane3",
        "ha-worker",
        "ha-worker2",
    ]
    assert len(hosts_writes(result)) == 5


def test_network_join_after_cluster_and_registry_rejoins_a_new_container():
    config, result = run(CUSTOM)
    join = result.resources["kindplane-wiring-network"]
    assert join.inputs["create"] == commands.join_kind_network(config.cluster.registry.name, "kind")
    assert join.depends_on_names() == ["kindplane-cluster-kind", "kindplane-registry-container"]
    assert join.inputs["triggers"] == ["kindplane-registry-container-id"]


def test_configmap_uses_a_provider_built_from_the_clusters_kubeconfig():
    config, result = run(CUSTOM)
    provider = result.one(K8S_PROVIDER)
    # The kubeconfig reaches the provider still wrapped as a secret.
    assert provider.inputs["kubeconfig"] == {
        rpc._special_sig_key: rpc._special_secret_sig,
        "value": KUBECONFIG_STDOUT,
    }
    assert provider.inputs["deleteUnreachable"] == "true"
    configmap = result.one(CONFIGMAP)
    assert configmap.inputs["metadata"] == {
        "name": "local-registry-hosting",
        "namespace": "kube-public",
        "annotations": {"pulumi.com/deletionPropagationPolicy": "background"},
    }
    assert configmap.inputs["data"] == local_registry_hosting(config.cluster.registry)
    assert configmap.provider.endswith("::kindplane-wiring-k8s::kindplane-wiring-k8s-id")
    # It lives in the cluster: deleted with it, never through a provider being replaced.
    assert configmap.opts.deleted_with._name == "kindplane-cluster-kind"


def test_kubeconfig_is_read_after_the_cluster_and_stays_secret():
    _, result = run(ON)
    reader = result.resources["kindplane-cluster-kubeconfig"]
    assert reader.inputs["create"] == "kind get kubeconfig --name dev"
    assert reader.depends_on_names() == ["kindplane-cluster-kind"]
    assert reader.opts.additional_secret_outputs == ["stdout"]
    assert result.outputs["kubeconfig"] == KUBECONFIG_STDOUT
    assert result.secret_outputs == {"kubeconfig"}


@pytest.mark.parametrize(
    ("text", "host", "in_cluster"),
    [(ON, "localhost:5001", "kind-registry:5000"), (CUSTOM, "localhost:5002", "ci-registry:5000")],
)
def test_stack_outputs_give_both_registry_addresses(text, host, in_cluster):
    config, result = run(text)
    assert result.outputs["clusterName"] == config.cluster.name
    assert result.outputs["registryHost"] == host
    assert result.outputs["registryClusterAddress"] == in_cluster


def test_main_reads_the_config_file_named_by_stack_config(tmp_path, monkeypatch):
    path = tmp_path / "env.kindplane.yaml"
    path.write_text(CUSTOM)
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key: str(path) if key == "configFile" else None)
    result = run_program(lambda: main(no_kept_registry))
    assert result.outputs["registryHost"] == "localhost:5002"
    assert result.one(CONTAINER).inputs["name"] == "ci-registry"


def test_main_with_invalid_config_fails_cleanly_and_creates_nothing(tmp_path, monkeypatch):
    path = tmp_path / "bad.yaml"
    path.write_text("cluster: {name: 'a;b', registry: {port: 70000}}")
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key: str(path))
    with pytest.raises(pulumi.RunError) as caught:
        run_program(lambda: main(no_kept_registry))
    assert str(caught.value).splitlines() == [
        f"{path}: cluster.name: must be lower-case letters, digits and '-', starting and ending "
        "with a letter or digit (a DNS-1123 label), got 'a;b'",
        f"{path}: cluster.registry.port: must be between 1 and 65535, got 70000",
    ]


def test_main_stops_on_a_foreign_registry_before_registering_anything(tmp_path, monkeypatch):
    from kindplane.ops.docker_lookup import AdoptionError

    path = tmp_path / "kindplane.yaml"
    path.write_text(PERSISTENT)
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key: str(path))

    def foreign(_config, _owner):
        raise AdoptionError("a container named 'kind-registry' exists but was not created by kindplane")

    with pytest.raises(pulumi.RunError) as caught:
        run_program(lambda: main(foreign))
    assert str(caught.value) == "a container named 'kind-registry' exists but was not created by kindplane"


def test_docker_down_means_no_look_up_and_a_warning_in_preview(monkeypatch):
    from kindplane import program
    from kindplane.ops import docker_lookup
    from kindplane.ops.docker_lookup import DockerUnavailable

    warnings = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warnings.append(message))

    def unreachable():
        raise DockerUnavailable("Docker daemon not reachable: connection refused")

    monkeypatch.setattr(docker_lookup, "docker_client", unreachable)
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    assert program.docker_kept_lookup(parse_config(PERSISTENT), "p/s") == {}
    assert warnings == [
        "Docker daemon not reachable: connection refused; cannot look for kept containers, so this "
        "preview may show changes that up will not make"
    ]
    assert program.docker_kept_lookup(parse_config(OFF), "p/s") == {}  # nothing kept: Docker not asked


def test_docker_down_outside_preview_stops_the_run_with_the_reason(monkeypatch):
    from kindplane import program
    from kindplane.ops import docker_lookup
    from kindplane.ops.docker_lookup import AdoptionError, DockerUnavailable

    def unreachable():
        raise DockerUnavailable("Docker daemon not reachable: connection refused")

    monkeypatch.setattr(docker_lookup, "docker_client", unreachable)
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: False)
    with pytest.raises(AdoptionError) as caught:
        program.docker_kept_lookup(parse_config(PERSISTENT), "p/s")
    assert str(caught.value) == (
        "Docker daemon not reachable: connection refused; start Docker (or set DOCKER_HOST) and run up again"
    )


def test_container_and_volume_carry_the_owning_stack_and_no_persistent_flag():
    _, result = run(PERSISTENT)
    container, volume = result.one(CONTAINER), result.one(VOLUME)
    labels = {item["label"]: item["value"] for item in container.inputs["labels"]}
    assert labels["dev.kindplane.owner"] == "kindplane/test"
    # Toggling persistence changes only the retain flag in the state, never the container.
    assert "dev.kindplane.persistent" not in labels
    assert {item["label"]: item["value"] for item in volume.inputs["labels"]}["dev.kindplane.owner"] == "kindplane/test"


def test_kind_experimental_docker_network_is_the_network_the_registry_joins(monkeypatch):
    monkeypatch.setenv("KIND_EXPERIMENTAL_DOCKER_NETWORK", "kind-e2e")
    config, result = run(CUSTOM)
    join = result.resources["kindplane-wiring-network"]
    assert join.inputs["create"] == commands.join_kind_network(config.cluster.registry.name, "kind-e2e")
    assert "docker network connect kind-e2e ci-registry" in join.inputs["create"]


def test_a_hostile_kind_network_name_stops_the_run_before_anything(tmp_path, monkeypatch):
    path = tmp_path / "kindplane.yaml"
    path.write_text(ON)
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key: str(path))
    monkeypatch.setenv("KIND_EXPERIMENTAL_DOCKER_NETWORK", "kind;rm -rf /")
    with pytest.raises(pulumi.RunError) as caught:
        run_program(lambda: main(no_kept_registry))
    assert str(caught.value).startswith("KIND_EXPERIMENTAL_DOCKER_NETWORK='kind;rm -rf /' is not a Docker network name")


def test_the_kubeconfig_reader_logs_nothing_and_the_cluster_create_is_idempotent_on_update():
    _, result = run(ON)
    reader = result.resources["kindplane-cluster-kubeconfig"]
    assert reader.inputs["logging"] == "none"
    kind = result.resources["kindplane-cluster-kind"]
    assert kind.inputs["update"] == commands.kind_create_if_missing(parse_config(ON).cluster)


def test_the_kubernetes_provider_upserts_a_configmap_that_already_exists():
    import pulumi_kubernetes as k8s

    _, result = run(ON)
    if hasattr(k8s.ProviderArgs, "upsert_existing_objects"):  # pulumi-kubernetes >= 4.29
        assert result.one(K8S_PROVIDER).inputs["upsertExistingObjects"] == "true"
    else:  # older v4: create is a server-side apply, an upsert already (the engine test proves it)
        assert "upsertExistingObjects" not in result.one(K8S_PROVIDER).inputs
