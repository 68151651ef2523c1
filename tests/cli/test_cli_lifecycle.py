"""up / down / preview against a recording Engine: what reaches the engine, and what users see.

Tests that go through Docker preflight use the real engine of this machine (marked `docker`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from harness.names import free_port, unique_name
from recording_engine import DOWN_CALLS, step

from kindplane.cli.engine import ProgramRefused, StackBusy
from kindplane.core.config import load_config
from kindplane.ops.docker_endpoint import resolve_endpoint

docker = pytest.mark.docker


def registry_config(cluster: str, port: int, persistent: bool = False, registry: str | None = None) -> str:
    return (
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n"
        f"  registry: {{enabled: true, port: {port}, name: {registry or cluster + '-reg'}, persistent: {str(persistent).lower()}}}\n"
    )


@pytest.fixture
def fresh(write_config):
    """A kindplane.yaml with unique names and a free port, so Docker preflight finds no clash."""
    name = unique_name("kpt-cli")
    port = free_port()
    return name, port, write_config(registry_config(name, port))


# --- up --------------------------------------------------------------------------------------


@docker
def test_up_refreshes_then_ups_the_stack_named_after_the_file_and_prints_it(cli, engine, tools, fresh, docker_ready):
    name, port, path = fresh
    engine.steps = [step("start", "create", f"{name}-kind"), step("done", "create", f"{name}-kind")]
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert engine.names == [
        "last_config_file",
        "managed_clusters",
        "clear_stale_locks",
        "pending_clusters",
        "exists",
        "has_resources",
        "exists",
        "has_resources",  # an empty state with nothing pending is not refreshed first
        "recorded_world",  # (this double says pending: an interrupted run's, so it is)
        "refresh",
        "up",
    ]  # no resources: no plan to read
    assert engine.calls[-1] == ("up", {"replace_cluster": False})
    target = engine.targets[0]
    assert target.stack == path.parent.name  # kindplane.yaml → its folder's name, never the cluster's
    assert target.backend == (tools / "state").as_uri()
    assert target.config_path == path and target.own_project
    out = result.stdout
    docker = resolve_endpoint().describe()  # resolution itself: tests/unit/test_docker_endpoint.py
    assert (
        out.splitlines()[0] == f"Stack {target.stack} · config {path} · project {tools / 'project'} · Docker {docker}"
    )
    assert f"created {name}-kind" in out  # progress line per finished resource
    assert f"Cluster   {name} (kubectl context kind-{name})" in out
    assert f"Nodes     {name}-control-plane, {name}-worker" in out
    assert f"localhost:{port} from the host" in out and f"{name}-reg:5000 from code inside pods" in out
    assert f"docker tag my-app:latest localhost:{port}/my-app:latest" in out
    assert f"docker push localhost:{port}/my-app:latest" in out
    assert re.fullmatch(r"Done in \d+\.\d s \(-v: where the time went\)", out.splitlines()[-1])


@docker
def test_up_says_where_its_time_went_with_v_and_in_json(cli, engine, tools, fresh, docker_ready):
    _, _, path = fresh
    loud = cli(["-c", str(path), "up", "-v"])
    assert loud.exit_code == 0, loud.output
    total, phases = loud.stdout.splitlines()[-2:]
    assert re.fullmatch(r"Done in \d+\.\d s", total)
    assert [p.rsplit(" ", 2)[0] for p in phases.strip().split(" · ")] == ["start-up", "checks", "refresh", "update"]
    data = json.loads(cli(["-c", str(path), "up", "-o", "json"]).stdout)
    timings = data["timings"]
    assert set(timings) == {"total", "start-up", "checks", "refresh", "update"}
    assert timings["total"] >= sum(v for k, v in timings.items() if k != "total") - 0.05


@docker
def test_stack_and_backend_options_reach_the_engine(cli, engine, tools, fresh, docker_ready, monkeypatch):
    _, _, path = fresh
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///tmp/from-env")
    assert cli(["-c", str(path), "-s", "feature-x", "up"]).exit_code == 0
    assert engine.targets[0].stack == "feature-x"
    assert cli(["-c", str(path), "--backend", "file:///tmp/flag", "up"]).exit_code == 0
    assert engine.targets[1].backend == "file:///tmp/flag"


@docker
def test_up_refuses_to_point_another_config_file_at_a_stack(cli, engine, tools, fresh, docker_ready):
    _, _, path = fresh
    engine.last_config = "/home/u/shop/kindplane.yaml"
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: stack {path.parent.name} was last updated from /home/u/shop/kindplane.yaml, not {path}; "
        "choose another stack for this file with -s, or run `kindplane -c /home/u/shop/kindplane.yaml down` first"
    ]
    assert "up" not in engine.names and "refresh" not in engine.names


@docker
def test_up_recreates_a_cluster_the_stack_owns_but_whose_nodes_are_gone(cli, engine, tools, fresh, docker_ready):
    name, _, path = fresh
    engine.managed = {name}
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert engine.calls[-1] == ("up", {"replace_cluster": True})
    assert f"cluster {name} is in the stack but its nodes are gone; recreating it" in result.stderr


@docker
def test_up_after_an_interrupted_create_removes_the_half_made_nodes_then_creates(
    cli, engine, tools, write_config, cluster_factory, monkeypatch
):
    from harness.shell import BIN_DIR

    from kindplane.core.render.kind_config import kind_config_yaml

    monkeypatch.setenv("PATH", f"{BIN_DIR}:{__import__('os').environ['PATH']}")  # the kind stand-in
    (tools / "bin" / "kind").unlink()
    path = write_config(f"cluster:\n  name: {unique_name('kpt-half')}\n")
    config = load_config(path)
    half = cluster_factory(kind_config_yaml(config.cluster), name=config.cluster.name)
    engine.managed = engine.pending = {config.cluster.name}
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert f"removing the half-made cluster {config.cluster.name} an interrupted up left behind" in result.stderr
    assert half.nodes() == []  # removed before the engine's create
    assert engine.calls[-1] == ("up", {"replace_cluster": False})


@docker
def test_up_refuses_a_kind_cluster_the_stack_does_not_own(cli, engine, tools, write_config, cluster_factory):
    from kindplane.core.render.kind_config import kind_config_yaml

    path = write_config(f"cluster:\n  name: {unique_name('kpt-foreign')}\n")
    config = load_config(path)
    cluster_factory(kind_config_yaml(config.cluster), name=config.cluster.name)
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert (
        f"a kind cluster named '{config.cluster.name}' already exists and stack '{path.parent.name}' did not create it; delete it with `kind delete cluster --name {config.cluster.name}`"
        in result.stderr
    )
    assert engine.names == [
        "last_config_file",
        "managed_clusters",
        "clear_stale_locks",
        "pending_clusters",
    ]  # nothing refreshed, nothing created
    engine.managed = {config.cluster.name}
    engine.calls.clear()
    assert cli(["-c", str(path), "up"]).exit_code == 0  # its own cluster: converge
    assert engine.calls[-1] == ("up", {"replace_cluster": False})


@docker
def test_up_refuses_a_registry_port_held_by_another_program(cli, engine, tools, fresh, docker_ready):
    import socket

    name, port, path = fresh
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    me = f"{Path('/proc/self/comm').read_text().strip()} (pid {os.getpid()})"  # this test holds it
    assert f"port {port} on 127.0.0.1 is already in use by {me}; stop it or set cluster.registry.port" in result.stderr
    assert "refresh" not in engine.names


@docker
def test_a_locked_stack_is_explained_in_plain_words(cli, engine, tools, fresh, docker_ready):
    _, _, path = fresh
    engine.fail_on["refresh"] = StackBusy("another kindplane run is updating stack 'x' right now; wait for it")
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert "error: another kindplane run is updating stack 'x' right now; wait for it" in result.stderr
    assert "Traceback" not in result.output


@docker
def test_a_program_refusal_is_one_line(cli, engine, tools, fresh, docker_ready):
    _, _, path = fresh
    engine.fail_on["up"] = ProgramRefused("a container named 'r' exists but was not created by kindplane")
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: a container named 'r' exists but was not created by kindplane"


@docker
def test_ctrl_c_during_up_says_the_next_up_converges(cli, engine, tools, fresh, docker_ready):
    _, _, path = fresh
    engine.fail_on["up"] = KeyboardInterrupt()
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 130
    assert "Interrupted." in result.stderr and "run `kindplane up` again" in result.stderr


def test_up_with_an_invalid_config_exits_2_before_any_engine_work(cli, engine, tools, write_config):
    path = write_config("cluster:\n  name: UPPER\n  nodes: {workers: many}\n")
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 2
    assert "cluster.name" in result.stderr and "cluster.nodes.workers: must be an integer" in result.stderr
    assert engine.targets == []


def test_up_without_kind_and_pulumi_names_the_fix_and_exits_1(cli, engine, home, write_config):
    path = write_config("cluster: {name: notools}\n")
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: kind is not installed (not on PATH nor in {home / 'bin'}): run `kindplane setup` (offline: "
        "`kindplane setup --from DIR`, DIR holding the release files you carry)",
        "error: the Pulumi CLI is not installed: run `kindplane setup` (offline: `kindplane setup --from DIR`, DIR "
        "holding the release files you carry)",
    ]
    assert engine.targets == []


def test_up_offers_setup_on_a_terminal_and_declining_stops(cli, engine, home, write_config):
    path = write_config("cluster: {name: notools}\n")
    result = cli(["-c", str(path), "up"], input="n\n", interactive=True)
    assert "Install the missing tools now (kindplane setup)?" in result.stdout
    assert result.exit_code == 1
    assert engine.targets == []


def test_up_without_docker_says_so_and_exits_1(cli, engine, tools, write_config, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    path = write_config("cluster: {name: nodocker}\n")
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Docker daemon not reachable")
    assert f"Docker daemon not reachable at unix://{tmp_path}/no-such.sock (DOCKER_HOST)" in result.stderr
    assert "start it (" in result.stderr and ") and try again" in result.stderr
    assert engine.targets == []


# --- down ------------------------------------------------------------------------------------


def test_down_without_a_terminal_and_without_force_refuses(cli, engine, tools, write_config):
    path = write_config("cluster: {name: keep-me}\n")
    result = cli(["-c", str(path), "down"])
    assert result.exit_code == 2
    assert "no terminal to ask on; run `kindplane down --force`" in result.stderr
    assert engine.targets == []


@docker
def test_down_asks_with_what_the_state_will_do_and_a_no_changes_nothing(cli, engine, tools, write_config, docker_ready):
    from kindplane.cli.state import RegistryFate

    path = write_config("cluster:\n  name: keep-me\n  registry: {enabled: true}\n")
    engine.fate = RegistryFate("kind-registry", False, None)
    result = cli(["-c", str(path), "down"], input="n\n", interactive=True)
    assert "Destroy kind cluster keep-me and DELETE registry kind-registry with its images?" in result.stdout
    assert result.exit_code == 1
    assert engine.names == ["exists", "registry_fate", "mirror_fates", "managed_clusters"]


@docker
def test_down_after_persistent_was_turned_on_but_not_applied_says_the_registry_is_deleted(
    cli, engine, tools, write_config, docker_ready
):
    from kindplane.cli.state import RegistryFate

    path = write_config("cluster:\n  name: keep-me\n  registry: {enabled: true, persistent: true}\n")
    engine.fate = RegistryFate("kind-registry", False, None)  # the last up ran with persistent: false
    result = cli(["-c", str(path), "down", "--force"])
    assert result.exit_code == 0, result.output
    assert "Registry kind-registry and its images were deleted." in result.stdout
    assert "preserved" not in result.stdout
    asked = cli(["-c", str(path), "down"], input="n\n", interactive=True)
    assert (
        "DELETE registry kind-registry with its images (persistent: true in kindplane.yaml is not "
        "applied yet: run `kindplane up` first to keep it)?"
    ) in asked.stdout


@docker
def test_down_after_persistent_was_turned_off_but_not_applied_says_the_registry_is_kept(
    cli, engine, tools, write_config, docker_ready
):
    from kindplane.cli.state import RegistryFate

    path = write_config("cluster:\n  name: keep-me\n  registry: {enabled: true, persistent: false}\n")
    engine.fate = RegistryFate("kind-registry", True, "kind-registry-data")  # still retained in state
    result = cli(["-c", str(path), "down", "--force"])
    assert result.exit_code == 0, result.output
    assert (
        "Local registry preserved (persistent mode): container kind-registry, images in volume kind-registry-data"
        in result.stdout
    )


@docker
def test_down_of_a_stack_that_does_not_exist_creates_nothing_and_says_so(
    cli, engine, tools, write_config, docker_ready
):
    path = write_config("cluster: {name: typo}\n")
    engine.stack_exists = False
    result = cli(["-c", str(path), "-s", "tpyo", "down", "--force"])
    assert result.exit_code == 1
    assert "error: there is no stack 'tpyo'" in result.stderr
    assert "Destroyed" not in result.stdout
    assert "destroy" not in engine.names and "refresh" not in engine.names


@docker
def test_down_after_yes_refreshes_then_destroys(cli, engine, tools, fresh, docker_ready):
    name, _, path = fresh
    result = cli(["-c", str(path), "down"], input="y\n", interactive=True)
    assert result.exit_code == 0, result.output
    assert engine.names == DOWN_CALLS
    stack = engine.targets[0].stack
    assert f"Destroyed stack {stack} (cluster {name})." in result.stdout
    assert "preserved" not in result.stdout


@docker
def test_down_force_with_a_persistent_registry_says_it_is_kept(cli, engine, tools, write_config, docker_ready):
    name = unique_name("kpt-cli")
    path = write_config(registry_config(name, free_port(), persistent=True, registry=f"{name}-reg"))
    from kindplane.cli.state import RegistryFate

    engine.fate = RegistryFate(f"{name}-reg", True, f"{name}-reg-data")
    result = cli(["-c", str(path), "down", "--force"])
    assert result.exit_code == 0, result.output
    assert engine.names == DOWN_CALLS
    assert (
        f"Local registry preserved (persistent mode): container {name}-reg, images in volume {name}-reg-data"
        in result.stdout
    )


# --- preview ---------------------------------------------------------------------------------


def test_preview_lists_the_plan_without_changing_anything(cli, engine, tools, write_config):
    path = write_config("cluster: {name: plan}\n")
    engine.steps = [
        step("start", "create", "kindplane-cluster-kind"),
        step("start", "same", "kindplane-cluster-kubeconfig"),
        step("start", "replace", "kindplane-registry-container", "docker:index/container:Container"),
        step("start", "create", "default", "pulumi:providers:command"),
    ]
    engine.counts = {"create": 1, "replace": 1, "same": 1}
    result = cli(["-c", str(path), "preview"])
    assert result.exit_code == 0, result.output
    assert engine.names == ["exists", "preview", "recorded_outputs"]
    assert result.stdout.splitlines() == [
        "+ create   kindplane-cluster-kind  (command:local:Command)",
        "+- replace  kindplane-registry-container  (docker:index/container:Container)",
        "Plan: 1 to create, 0 to update, 1 to replace, 0 to delete, 1 unchanged",
    ]


def test_preview_needs_only_the_pulumi_cli(cli, engine, home, write_config):
    from cli_support import write_exe

    write_exe(home / "pulumi" / "bin" / "pulumi", "#!/bin/sh\necho v3.272.0\n")
    path = write_config("cluster: {name: plan}\n")
    assert cli(["-c", str(path), "preview"]).exit_code == 0
    assert engine.names == ["exists", "preview", "recorded_outputs"]


@docker
def test_up_refuses_to_refresh_a_stopped_cluster_and_names_docker_start(
    cli, engine, tools, write_config, cluster_factory
):
    from harness.docker_env import docker as run_docker

    from kindplane.core.render.kind_config import kind_config_yaml

    path = write_config(f"cluster:\n  name: {unique_name('kpt-stop')}\n")
    config = load_config(path)
    cluster = cluster_factory(kind_config_yaml(config.cluster), name=config.cluster.name)
    node = cluster.nodes()[0]
    run_docker("stop", "-t", "1", node)
    engine.managed = {config.cluster.name}
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: cluster {config.cluster.name} is stopped (node containers {node} are not running); "
        f"start them with `docker start {node}`, wait a few seconds, and run up again"
    ]
    assert "refresh" not in engine.names and "up" not in engine.names


@docker
def test_up_refuses_to_refresh_while_the_api_server_does_not_answer(cli, engine, tools, write_config, cluster_factory):
    from kindplane.core.render.kind_config import kind_config_yaml

    path = write_config(f"cluster:\n  name: {unique_name('kpt-api')}\n")
    config = load_config(path)
    cluster_factory(kind_config_yaml(config.cluster), name=config.cluster.name)
    engine.managed = {config.cluster.name}
    silent = free_port()
    engine.outputs_value = {
        "kubeconfig": (
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{silent}'}}}}]\n"
            "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\n"
        )
    }
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert (
        f"error: the API server of cluster {config.cluster.name} does not answer at https://127.0.0.1:{silent}"
        in result.stderr
    )
    assert "and run up again" in result.stderr
    assert "refresh" not in engine.names and "up" not in engine.names


def test_a_pulumi_cli_too_old_for_resource_hooks_is_refused_before_anything(cli, engine, tools, write_config):
    from cli_support import write_exe

    write_exe(tools / "pulumi" / "bin" / "pulumi", "#!/bin/sh\necho v3.150.0\n")
    path = write_config("cluster: {name: old}\n")
    result = cli(["-c", str(path), "preview"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the Pulumi CLI is v3.150.0; kindplane needs >= 3.182.0 (a kept registry or mirror is "
        "taken back with resource hooks): run `kindplane setup` (installs 3.274.1, the version kindplane "
        "is tested with) or upgrade Pulumi"
    ]
    assert engine.names == []


MIRROR_WITH_CREDENTIALS = (
    "cluster:\n  name: creds\n  mirrors:\n"
    "    - {remote: 'https://corp.example', usernameEnv: KPT_UNSET_USER, passwordEnv: KPT_UNSET_TOKEN}\n"
)


@pytest.mark.parametrize("command", ["up", "preview"])
def test_an_unset_mirror_credential_stops_before_the_engine_with_the_key(
    cli, engine, tools, write_config, monkeypatch, command
):
    monkeypatch.delenv("KPT_UNSET_USER", raising=False)
    monkeypatch.setenv("KPT_UNSET_TOKEN", "s3cret")
    path = write_config(MIRROR_WITH_CREDENTIALS)
    result = cli([command, "-c", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: cluster.mirrors[0].usernameEnv: environment variable KPT_UNSET_USER is not set "
        "(or empty); export it before `kindplane up`\n"
    )
    assert engine.targets == [] and "s3cret" not in result.output
