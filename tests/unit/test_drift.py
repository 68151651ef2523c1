"""Wiring drift (kindplane.core.render.drift): what counts as drifted, and that a drift changes the
input of exactly the resource that repairs it — once: the counter is read back from the state."""

from __future__ import annotations

from support.pulumi_mocks import COMMAND, run_program

from kindplane.core.components.mirror import mirror_hosts_resource
from kindplane.core.config import parse_config
from kindplane.core.render.containerd import hosts_dirs, hosts_toml
from kindplane.core.render.discovery import local_registry_hosting
from kindplane.core.render.drift import (
    REPAIR_ANNOTATION,
    REPAIR_ENV,
    Drift,
    Observed,
    Repairs,
    expected_files,
    find_drift,
    recorded_repairs,
)
from kindplane.core.render.pull_through import mirror_hosts_dir
from kindplane.program import build

TEXT = """
cluster:
  name: dev
  nodes: {controlPlane: 1, workers: 1}
  registry: {enabled: true, name: reg, port: 5111}
  mirrors:
    - {remote: "https://registry-1.docker.io", host: docker.io, name: hub}
"""
NODES = ("dev-control-plane", "dev-worker")


def config():
    return parse_config(TEXT).cluster


def healthy() -> Observed:
    cluster = config()
    return Observed(
        recorded_nodes=NODES,
        nodes={n: True for n in NODES},
        files={n: expected_files(cluster) for n in NODES},
        networks={"reg": frozenset({"bridge", "kind"}), "hub": frozenset({"kind"})},
        configmap=local_registry_hosting(cluster.registry),
    )


def with_(observed: Observed, **changes) -> Observed:
    return Observed(**{**observed.__dict__, **changes})


def test_what_up_wrote_and_finds_again_is_no_drift():
    assert not find_drift(config(), healthy())
    assert find_drift(config(), Observed()) == Drift()  # before the first up nothing has drifted


def test_the_files_kindplane_writes_on_each_node_are_the_registrys_two_and_each_mirrors_one():
    cluster = config()
    assert expected_files(cluster) == {
        **{f"{d}/hosts.toml": hosts_toml(cluster.registry) for d in hosts_dirs(cluster.registry)},
        f"{mirror_hosts_dir(cluster.mirrors[0])}/hosts.toml": (
            'server = "https://registry-1.docker.io"\n\n[host."http://hub:5000"]\n  capabilities = ["pull", "resolve"]\n'
        ),
    }


def test_a_removed_or_edited_hosts_toml_is_drift_of_that_node_and_folder_only():
    observed = healthy()
    files = {n: dict(f) for n, f in observed.files.items()}
    del files["dev-worker"]["/etc/containerd/certs.d/localhost:5111/hosts.toml"]
    files["dev-control-plane"]["/etc/containerd/certs.d/docker.io/hosts.toml"] = 'server = "https://elsewhere"\n'
    drift = find_drift(config(), with_(observed, files=files))
    assert drift.hosts == {
        "dev-control-plane": ("/etc/containerd/certs.d/docker.io",),
        "dev-worker": ("/etc/containerd/certs.d/localhost:5111",),
    }
    assert drift.hosts_drifted("dev-worker", hosts_dirs(config().registry))
    assert not drift.hosts_drifted("dev-worker", ["/etc/containerd/certs.d/docker.io"])
    assert drift.lines() == [
        "dev-control-plane: /etc/containerd/certs.d/docker.io/hosts.toml is missing or changed: up writes it again",
        "dev-worker: /etc/containerd/certs.d/localhost:5111/hosts.toml is missing or changed: up writes it again",
    ]


def test_a_stopped_node_cannot_be_read_and_is_not_drift():
    observed = healthy()
    drift = find_drift(
        config(), with_(observed, nodes={NODES[0]: True, NODES[1]: False}, files={NODES[0]: observed.files[NODES[0]]})
    )
    assert not drift


def test_a_node_the_state_records_that_docker_lacks_is_a_missing_node():
    observed = healthy()
    drift = find_drift(config(), with_(observed, nodes={NODES[0]: True}, files={NODES[0]: observed.files[NODES[0]]}))
    assert drift.missing_nodes == ("dev-worker",)
    assert drift.lines() == [
        "node dev-worker is gone (removed outside kindplane): up re-creates the cluster, after asking"
    ]


def test_off_the_kind_network_counts_for_the_registry_and_each_mirror_not_for_a_missing_container():
    observed = with_(healthy(), networks={"reg": frozenset({"bridge"})})
    drift = find_drift(config(), observed, network="kind")
    assert drift.off_network == ("reg",)
    assert drift.lines() == ["reg is not on the 'kind' network: up connects it again"]
    other = find_drift(
        config(), with_(healthy(), networks={"reg": frozenset({"kind"}), "hub": frozenset({"kind"})}), "kind-e2e"
    )
    assert other.off_network == ("reg", "hub")


def test_the_configmap_missing_or_edited_is_drift():
    assert find_drift(config(), with_(healthy(), configmap=None, configmap_missing=True)).configmap == "missing"
    edited = with_(healthy(), configmap={"localRegistryHosting.v1": 'host: "localhost:1"\n'})
    assert find_drift(config(), edited).configmap == "different"
    assert find_drift(config(), with_(healthy(), configmap=None)).configmap == ""  # not read: not drift


def test_repairs_add_one_to_what_the_state_records_and_nothing_before_the_first_repair():
    repairs = Repairs({"w": 2})
    assert repairs.environment("w", drifted=False) == {REPAIR_ENV: "2"}
    assert repairs.environment("w", drifted=True) == {REPAIR_ENV: "3"}
    assert repairs.environment("other", drifted=False) is None  # existing states keep their inputs
    assert repairs.triggers("other", drifted=True) == ["repair 1"]
    assert repairs.annotations("other", drifted=True) == {REPAIR_ANNOTATION: "1"}


def test_the_counters_are_read_back_from_every_place_the_state_keeps_them():
    state = {
        "urn:pulumi:s::p::a$command:local:Command::w1": {"outputs": {"environment": {REPAIR_ENV: "4"}}},
        "urn:pulumi:s::p::a$command:local:Command::k": {"outputs": {"triggers": ["dev", "x", "repair 2"]}},
        "urn:pulumi:s::p::a$kubernetes:core/v1:ConfigMap::cm": {
            "outputs": {"metadata": {"annotations": {REPAIR_ANNOTATION: "1", "other": "9"}}}
        },
        "urn:pulumi:s::p::a$command:local:Command::plain": {"outputs": {"triggers": ["dev"], "environment": None}},
    }
    assert recorded_repairs(state) == {"w1": 4, "k": 2, "cm": 1}


def program(drift: Drift, recorded=None):
    config = parse_config(TEXT)
    return run_program(
        lambda: build(config, lambda c, o: {}, observe=lambda c, n, t, r: Repairs(recorded or {}, drift))
    )


def test_each_drift_changes_exactly_the_resource_that_repairs_it():
    clean = program(Drift())
    drift = Drift(
        missing_nodes=(),
        hosts={"dev-worker": ("/etc/containerd/certs.d/localhost:5111", "/etc/containerd/certs.d/docker.io")},
        off_network=("hub",),
        configmap="missing",
    )
    repaired = program(drift)
    changed = sorted(n for n, r in repaired.resources.items() if r.inputs != clean.resources[n].inputs)
    assert changed == sorted(
        [
            "kindplane-wiring-hosts-dev-worker",
            mirror_hosts_resource(parse_config(TEXT).cluster.mirrors[0], "dev-worker"),
            "kindplane-mirror-hub-network",
            "kindplane-wiring-local-registry-hosting",
        ]
    )
    assert repaired.resources["kindplane-wiring-hosts-dev-worker"].inputs["environment"] == {REPAIR_ENV: "1"}
    assert (
        repaired.resources["kindplane-wiring-local-registry-hosting"].inputs["metadata"]["annotations"][
            REPAIR_ANNOTATION
        ]
        == "1"
    )


def test_a_missing_node_re_creates_the_cluster_and_a_moved_api_server_reads_the_kubeconfig_again():
    clean = program(Drift())
    repaired = program(Drift(missing_nodes=("dev-worker",), api_server_moved="https://127.0.0.1:7443"))
    cluster, reader = repaired.resources["kindplane-cluster-kind"], repaired.resources["kindplane-cluster-kubeconfig"]
    assert cluster.inputs["triggers"] == clean.resources["kindplane-cluster-kind"].inputs["triggers"] + ["repair 1"]
    assert reader.inputs["environment"] == {REPAIR_ENV: "1"}


def test_after_a_repair_the_recorded_counter_asks_for_no_further_change():
    once = program(Drift(off_network=("reg",)))
    recorded = {"kindplane-wiring-network": 1}
    again = program(Drift(), recorded)
    assert again.resources["kindplane-wiring-network"].inputs == once.resources["kindplane-wiring-network"].inputs
    assert [r.name for r in again.of_type(COMMAND) if r.inputs.get("environment")] == ["kindplane-wiring-network"]
