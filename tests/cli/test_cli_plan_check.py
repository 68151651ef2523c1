"""up reads the plan when the settings changed, says what it would destroy and why, and asks;
preview marks the same steps. Against a recording Engine whose preview replays Pulumi-shaped
steps (the real engine's are checked in tests/engine/test_engine_safety.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from harness.names import free_port, unique_name

from kindplane.cli.engine import ResourceStep
from kindplane.cli.plan_check import plan_losses
from kindplane.core.config import parse_config
from kindplane.core.contract import CONTAINER_TYPE, OUTPUT_APPLIED_SETTINGS, OUTPUT_FINGERPRINT, VOLUME_TYPE
from kindplane.core.render.applied_settings import applied_settings, settings_fingerprint
from kindplane.core.render.kind_config import kind_config_yaml
from kindplane.ops.registry import pulling_clusters

docker = pytest.mark.docker
ROOT = "urn:pulumi:dev::kindplane::kindplane:index:Environment"
CLUSTER_URN = f"{ROOT}$kindplane:index:KindCluster$command:local:Command::kindplane-cluster-kind"
REGISTRY_URN = f"{ROOT}$kindplane:index:LocalRegistry$docker:index/container:Container::kindplane-registry-container"
VOLUME_URN = f"{ROOT}$kindplane:index:LocalRegistry$docker:index/volume:Volume::kindplane-registry-data"
MIRROR_URN = f"{ROOT}$kindplane:index:PullThroughMirror${CONTAINER_TYPE}::kindplane-mirror-ghcr-io-container"


def settings(text: str) -> dict:
    return applied_settings(parse_config(text).cluster)


def config_text(name: str, workers: int = 1, port: int = 5999, persistent: bool = False) -> str:
    return (
        f"cluster:\n  name: {name}\n  nodes: {{workers: {workers}}}\n"
        f"  registry: {{enabled: true, name: {name}-reg, port: {port}, persistent: {str(persistent).lower()}}}\n"
    )


def cluster_replaced(old_text: str, new_text: str) -> list[ResourceStep]:
    old, new = parse_config(old_text).cluster, parse_config(new_text).cluster
    old_inputs = {"create": f"kind create cluster --name {old.name} --config -", "stdin": kind_config_yaml(old)}
    new_inputs = {"create": f"kind create cluster --name {new.name} --config -", "stdin": kind_config_yaml(new)}
    return replacement("command:local:Command", CLUSTER_URN, old_inputs, new_inputs, ("triggers",))


def replacement(type_: str, urn: str, old_inputs: dict, new_inputs: dict, keys: tuple) -> list[ResourceStep]:
    """A delete-first replacement as the engine reports it: the old state alone on the delete."""
    name = urn.rsplit("::", 1)[1]
    return [
        ResourceStep("start", "delete-replaced", type_, name, urn, old_inputs, {}),
        ResourceStep("start", "replace", type_, name, urn, old_inputs, new_inputs, keys=keys),
        ResourceStep("start", "create-replacement", type_, name, urn, old_inputs, new_inputs, keys=keys),
    ]


def container_replaced(
    urn: str, name: str, old_volume: str | None, new_volume: str | None, keys=("ports",)
) -> list[ResourceStep]:
    def inputs(volume):
        return {
            "name": name,
            "volumes": [{"volumeName": volume, "containerPath": "/var/lib/registry"}] if volume else [],
        }

    return replacement(CONTAINER_TYPE, urn, inputs(old_volume), inputs(new_volume), keys)


def volume_kept(name: str) -> ResourceStep:
    return ResourceStep(
        "start", "same", VOLUME_TYPE, "kindplane-registry-data", VOLUME_URN, {"name": name}, {"name": name}, True
    )


# --- the plan, read ----------------------------------------------------------------------------


def test_a_worker_added_re_creates_the_cluster_and_the_reason_is_the_key():
    old, new = config_text("dev"), config_text("dev", workers=2)
    [loss] = plan_losses(cluster_replaced(old, new), settings(old), settings(new))
    assert loss.lossy and loss.role == "cluster"
    assert loss.message == "cluster dev will be re-created: every workload in it is lost; reason: nodes.workers 1 → 2"


def test_a_rename_deletes_the_old_cluster_and_without_a_record_the_kind_config_is_the_reason():
    old, new = config_text("dev"), config_text("web").replace("name: web-reg", "name: dev-reg")
    [loss] = plan_losses(cluster_replaced(old, new), None, settings(new))  # a stack from before the record
    assert loss.message == (
        "cluster dev will be deleted and cluster web created: every workload in dev is lost; reason: the kind "
        "config kindplane renders changed: name dev → web"
    )


def test_the_first_mirror_changes_the_cluster_through_its_containerd_patch():
    old = "cluster: {name: dev}\n"
    new = "cluster: {name: dev, mirrors: [{remote: 'https://ghcr.io'}]}\n"
    [loss] = plan_losses(cluster_replaced(old, new), settings(old), settings(new))
    assert loss.message.startswith(
        "cluster dev will be re-created: every workload in it is lost; reason: mirrors[0] (none) → {remote: "
    )


def test_a_registry_re_created_on_its_kept_volume_loses_nothing_and_one_without_it_loses_the_images():
    old, new = config_text("dev", persistent=True), config_text("dev", port=5998, persistent=True)
    steps = container_replaced(REGISTRY_URN, "dev-reg", "dev-reg-data", "dev-reg-data") + [volume_kept("dev-reg-data")]
    [kept] = plan_losses(steps, settings(old), settings(new))
    assert not kept.lossy
    assert (
        kept.message == "registry dev-reg will be re-created on its volume dev-reg-data: no image is lost "
        "(reason: registry.port 5999 → 5998)"
    )
    lost = plan_losses(container_replaced(REGISTRY_URN, "dev-reg", None, None, keys=("image",)), None, settings(new))
    assert [(x.lossy, x.message) for x in lost] == [
        (
            True,
            "registry dev-reg will be re-created: every image pushed to it is lost; "
            "reason: kindplane changed the container's image",
        )
    ]


def test_a_registry_an_older_kindplane_made_moves_into_its_new_volume_and_loses_nothing():
    new = config_text("dev")
    created = ResourceStep(
        "start", "create", VOLUME_TYPE, "kindplane-registry-data", VOLUME_URN, {}, {"name": "dev-reg-data"}
    )
    steps = container_replaced(REGISTRY_URN, "dev-reg", None, "dev-reg-data", keys=("volumes",)) + [created]
    [moved] = plan_losses(steps, None, settings(new))
    assert not moved.lossy
    assert moved.message == (
        "registry dev-reg will be re-created on the new volume dev-reg-data, its data copied there first: "
        "no image is lost (reason: kindplane changed the container's volumes)"
    )
    # another container name on a new volume starts empty: the images stay behind
    renamed = container_replaced(REGISTRY_URN, "dev-reg", None, "dev-reg-data", keys=("name",))
    renamed = [replace(x, new_inputs={**x.new_inputs, "name": "other-reg"}) if x.new_inputs else x for x in renamed]
    [lost] = plan_losses(renamed + [created], None, settings(new))
    assert lost.lossy


def test_a_mirror_dropped_from_the_config_is_deleted_with_its_cache_and_its_entry_is_the_reason():
    old = "cluster: {name: dev, mirrors: [{remote: 'https://ghcr.io', persistent: false}]}\n"
    new = "cluster: {name: dev}\n"
    step = ResourceStep(
        "start",
        "delete",
        CONTAINER_TYPE,
        "kindplane-mirror-ghcr-io-container",
        MIRROR_URN,
        {"name": "kindplane-mirror-ghcr-io"},
    )
    [loss] = plan_losses([step], settings(old), settings(new))
    assert loss.message == (
        "mirror kindplane-mirror-ghcr-io will be deleted with its cache (pulls fetch from the upstream again); reason: "
        "mirrors[0] {remote: 'https://ghcr.io', host: ghcr.io, name: kindplane-mirror-ghcr-io, "
        "persistent: false, image: 'registry:2'} → (none)"
    )
    kept = ResourceStep(
        "start", "delete", CONTAINER_TYPE, "x", MIRROR_URN, {"name": "kindplane-mirror-ghcr-io"}, retained=True
    )
    assert [x.lossy for x in plan_losses([kept], settings(old), settings(new))] == [False]


def test_updates_creates_and_other_resources_lose_nothing_and_a_dead_cluster_is_not_asked_about():
    old, new = config_text("dev"), config_text("dev", workers=2)
    hosts = ResourceStep(
        "start",
        "replace",
        "command:local:Command",
        "kindplane-wiring-hosts-dev-worker",
        f"{ROOT}$command:local:Command::kindplane-wiring-hosts-dev-worker",
        {"create": "docker exec …"},
    )
    update = ResourceStep("start", "update", CONTAINER_TYPE, "c", REGISTRY_URN, {"name": "dev-reg"})
    assert plan_losses([hosts, update], settings(old), settings(new)) == []
    assert plan_losses(cluster_replaced(old, new), settings(old), settings(new), skip_cluster=True) == []


# --- up ----------------------------------------------------------------------------------------


@pytest.fixture
def owner(write_config, engine):
    """A kindplane.yaml whose last up recorded one worker, and the stack's state saying so."""
    name, port = unique_name("kpt-plan"), free_port()
    path = write_config(config_text(name, port=port))
    engine.resources = True
    engine.recorded = {OUTPUT_APPLIED_SETTINGS: settings(config_text(name, port=port))}
    return name, port, path


@pytest.fixture
def no_users(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(pulling_clusters, "clusters_using_registry", lambda client, name, own: asked.append(name) or [])
    return asked


def same_fingerprint(engine, path) -> None:
    config = parse_config(path.read_text())
    engine.recorded[OUTPUT_FINGERPRINT] = settings_fingerprint(config.cluster, f"kindplane/{path.parent.name}", "kind")


@docker
def test_an_unchanged_config_goes_straight_to_the_update_without_reading_the_plan(
    cli, engine, tools, owner, docker_ready
):
    name, port, path = owner
    same_fingerprint(engine, path)
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert "preview" not in engine.names
    assert engine.names[-2:] == ["refresh", "up"]


@docker
def test_a_worker_added_without_a_terminal_and_without_yes_changes_nothing_and_says_why(
    cli, engine, tools, owner, docker_ready
):
    name, port, path = owner
    path.write_text(config_text(name, workers=2, port=port))
    engine.plan = cluster_replaced(config_text(name, port=port), path.read_text())
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        f"warning: cluster {name} will be re-created: every workload in it is lost; reason: nodes.workers 1 → 2",
        "error: up would destroy what is listed above and there is no terminal to ask on; nothing was changed. "
        "Run `kindplane up --yes` to go ahead, or undo the change in kindplane.yaml",
    ]
    assert "Reading the plan" in result.stdout
    assert engine.calls[-1] == ("recorded_outputs", {})  # the preview ran; the update never did
    assert "up" not in engine.names


@docker
def test_yes_goes_ahead_and_a_terminal_answer_decides(cli, engine, tools, owner, docker_ready):
    name, port, path = owner
    path.write_text(config_text(name, workers=2, port=port))
    engine.plan = cluster_replaced(config_text(name, port=port), path.read_text())
    declined = cli(["-c", str(path), "up"], input="n\n", interactive=True)
    assert declined.exit_code == 1
    assert "Go ahead and lose this? [y/N]: n" in declined.stdout and "Nothing was changed." in declined.stdout
    assert "up" not in engine.names
    accepted = cli(["-c", str(path), "up"], input="y\n", interactive=True)
    assert accepted.exit_code == 0, accepted.output
    assert engine.names[-1] == "up"
    engine.calls.clear()
    yes = cli(["-c", str(path), "up", "--yes"])
    assert yes.exit_code == 0, yes.output
    assert f"warning: cluster {name} will be re-created" in yes.stderr
    assert engine.names[-2:] == ["recorded_outputs", "up"]


@docker
def test_a_registry_re_created_on_its_volume_is_said_in_one_line_and_never_asked(
    cli, engine, tools, owner, docker_ready, no_users
):
    name, port, path = owner
    path.write_text(config_text(name, port=port, persistent=True))
    engine.plan = container_replaced(REGISTRY_URN, f"{name}-reg", f"{name}-reg-data", f"{name}-reg-data") + [
        volume_kept(f"{name}-reg-data")
    ]
    result = cli(["-c", str(path), "up"])  # no terminal, no --yes: nothing to ask
    assert result.exit_code == 0, result.output
    assert (
        f"registry {name}-reg will be re-created on its volume {name}-reg-data: no image is lost "
        "(reason: registry.persistent false → true)" in result.stdout
    )
    assert "warning" not in result.stderr
    assert no_users == []  # nothing is lost, so nobody else's pulls are at stake
    assert engine.names[-1] == "up"


@docker
def test_re_creating_a_registry_others_pull_through_needs_delete_shared_even_with_yes(
    cli, engine, tools, owner, docker_ready, monkeypatch
):
    name, port, path = owner
    asked = []
    monkeypatch.setattr(
        pulling_clusters, "clusters_using_registry", lambda client, reg, own: asked.append((reg, set(own))) or ["e2e"]
    )
    path.write_text(config_text(name, port=free_port()))
    engine.plan = container_replaced(REGISTRY_URN, f"{name}-reg", None, None)
    engine.managed = {f"{name}-old"}
    refused = cli(["-c", str(path), "up", "--yes"])
    assert refused.exit_code == 1
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"error: registry {name}-reg is also used by cluster e2e (its nodes' hosts.toml pulls through it); "
            "up would "
            "re-create it without its images under them."
        )
    )
    assert "`kindplane up --delete-shared`" in refused.stderr.replace("\n", " ")
    assert asked == [(f"{name}-reg", {name, f"{name}-old"})]  # this stack's own clusters never count
    assert "up" not in engine.names
    forced = cli(["-c", str(path), "up", "--yes", "--delete-shared"])
    assert forced.exit_code == 0, forced.output
    assert engine.names[-1] == "up"


@docker
def test_a_killed_runs_lock_is_cleared_first_in_one_line(cli, engine, tools, owner, docker_ready):
    name, port, path = owner
    same_fingerprint(engine, path)
    engine.stale_locks = ["pulumi process 4242 on host laptop"]
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert (
        "removed the stale lock of a killed run (pulumi process 4242 on host laptop no longer runs)"
        in result.stderr.splitlines()
    )
    assert engine.names.index("clear_stale_locks") < engine.names.index(
        "pending_clusters"
    )  # before the nodes are looked at
    assert engine.names[-2:] == ["refresh", "up"]


@docker
def test_a_loss_the_update_made_without_a_plan_showing_it_is_named_afterwards(cli, engine, tools, owner, docker_ready):
    name, port, path = owner
    same_fingerprint(engine, path)
    engine.steps = cluster_replaced(path.read_text(), path.read_text())
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: cluster {name} was re-created by this update although no plan read before it showed that "
        "(kindplane.yaml or Docker changed while up ran)"
    ) in result.stderr.replace("\n", " ")


# --- preview -----------------------------------------------------------------------------------


def test_preview_marks_what_is_lost_and_what_is_kept(cli, engine, tools, write_config):
    name = unique_name("kpt-plan")
    path = write_config(config_text(name, workers=2, persistent=True))
    engine.recorded = {OUTPUT_APPLIED_SETTINGS: settings(config_text(name, persistent=True))}
    engine.plan = (
        cluster_replaced(config_text(name), path.read_text())
        + container_replaced(REGISTRY_URN, f"{name}-reg", f"{name}-reg-data", f"{name}-reg-data")
        + [volume_kept(f"{name}-reg-data")]
    )
    engine.counts = {"replace": 2, "same": 1}
    kept = (
        f"registry {name}-reg will be re-created on its volume {name}-reg-data: no image is lost "
        "(reason: kindplane changed the container's ports)"
    )
    result = cli(["-c", str(path), "preview"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        f"! cluster {name} will be re-created: every workload in it is lost; reason: nodes.workers 1 → 2",
        f"~ {kept}",
    ]
    document = json.loads(cli(["-c", str(path), "preview", "-o", "json"]).stdout)
    marked = [(s["op"], s["name"], s.get("loses"), s.get("keeps")) for s in document["steps"] if s["op"] == "replace"]
    assert marked == [
        (
            "replace",
            "kindplane-cluster-kind",
            f"cluster {name} will be re-created: every workload in it is lost; reason: nodes.workers 1 → 2",
            None,
        ),
        ("replace", "kindplane-registry-container", None, kept),
    ]
