"""The fault table (docs/reliability.md), each row run for real: what happens, what the user
sees, and that nothing is lost. Plus the four defects of the faults issue."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import time

import pytest
from harness import apiserver
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.engine import container_id
from harness.faults import SilencedApiServer, state_file
from harness.fixtures import push_to
from harness.holds import Hold
from harness.images import ensure_app_image
from harness.names import unique_name
from harness.registry import registry_get
from harness.second_daemon import SECOND_DAEMON_GROUP
from harness.shell import run_shell

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
CANCEL_GRACE = 2.0  # seconds


def types_in_state(project) -> list[str]:
    return sorted(r["type"] for r in project.managed_resources())


def kp(project, *args, **kw):
    return project.kindplane("-c", str(project.config_path), *args, **kw)


def test_node_containers_stopped_up_refuses_then_converges_once_started(new_project):
    project = new_project(workers=1)
    kp(project, "up")
    before = types_in_state(project)
    nodes = StandinCluster(project.cluster).nodes()
    docker("stop", "-t", "1", *nodes)
    refused = kp(project, "up", check=False)
    assert refused.returncode == 1
    assert f"start them with `docker start {' '.join(sorted(nodes))}`" in refused.stderr
    assert types_in_state(project) == before  # the ConfigMap was not dropped by a refresh
    docker("start", *nodes)
    kp(project, "up")
    project.pulumi("preview", "--expect-no-changes")


def test_api_server_silent_up_refuses_and_the_configmap_stays_in_state(new_project):
    project = new_project(workers=0)
    kp(project, "up")
    silenced = SilencedApiServer(project.cluster)
    try:
        refused = kp(project, "up", check=False)
        assert refused.returncode == 1
        assert f"the API server of cluster {project.cluster} does not answer" in refused.stderr
        assert CONFIGMAP in types_in_state(project)
    finally:
        silenced.restore()
    kp(project, "up")
    project.pulumi("preview", "--expect-no-changes")


def test_a_configmap_dropped_from_state_by_a_refresh_is_taken_over_not_refused(new_project):
    # The defect's own path: a plain `pulumi refresh` while the API server is down drops the
    # ConfigMap (delete_unreachable); with the server back, up must upsert the existing object.
    project = new_project(workers=0)
    project.init_stack()
    project.up()
    silenced = SilencedApiServer(project.cluster)
    try:
        project.pulumi("refresh", "--yes", "--skip-preview", check=False)
    finally:
        silenced.restore()
    assert CONFIGMAP not in types_in_state(project)
    project.up()
    assert CONFIGMAP in types_in_state(project)
    project.pulumi("preview", "--expect-no-changes")


def test_the_admin_credentials_never_reach_any_output(new_project):
    project = new_project(workers=0)
    project.init_stack()
    up = project.up()
    # The stand-in's kubeconfig carries the admin's client key, as kind's does.
    key = base64.b64encode(apiserver.endpoint(project.cluster)["client_key"].encode()).decode()
    cli = kp(project, "-v", "up")
    state = project.run(["pulumi", "stack", "export", "--stack", "e2e"]).stdout  # secrets stay ciphertext
    for text in (up.stdout, up.stderr, cli.stdout, cli.stderr, state):
        assert key not in text
        assert "client-key-data" not in text
    assert project.outputs()["kubeconfig"].count(f"client-key-data: {key}") == 1  # the output is right, and secret
    secret = json.loads(project.run(["pulumi", "stack", "output", "--json", "--stack", "e2e"]).stdout)
    assert secret["kubeconfig"] == "[secret]"


def test_a_changed_non_trigger_input_of_the_cluster_command_reruns_harmlessly(new_project):
    # A newer kindplane may change the delete command's text: Pulumi then updates the cluster
    # command in place, which runs `update` (create-if-missing) against the existing cluster.
    project = new_project(workers=0)
    project.init_stack()
    project.up()
    nodes = StandinCluster(project.cluster).nodes()
    main = project.root / "__main__.py"
    main.write_text(
        "from kindplane.core.render import commands\n"
        "_delete = commands.kind_delete\n"
        "commands.kind_delete = lambda cluster: _delete(cluster) + ' --verbosity 0'\n" + main.read_text()
    )
    updated = project.up()
    assert "updated" in updated.stdout or "update" in updated.stdout
    assert StandinCluster(project.cluster).nodes() == nodes
    project.pulumi("preview", "--expect-no-changes")


def test_registry_container_removed_by_hand_up_repairs_it_and_keeps_the_images(new_project, app_image):
    project = new_project(persistent=True, workers=0)
    kp(project, "up")
    push_to(f"localhost:{project.port}", app_image, "kept/app:v1")
    docker("rm", "-f", project.registry)
    kp(project, "up")
    assert registry_get(project.port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]
    node = StandinCluster(project.cluster).containerd_nodes()[0]
    assert StandinCluster(project.cluster).ctr_fetch(node, f"localhost:{project.port}/kept/app:v1").returncode == 0
    project.pulumi("preview", "--expect-no-changes")


def test_kind_delete_cluster_by_hand_then_down_then_up(new_project):
    project = new_project(workers=0)
    kp(project, "up")
    run_shell(f"kind delete cluster --name {project.cluster}")
    down = kp(project, "down", "--force")
    assert "Destroyed stack e2e" in down.stdout
    assert project.managed_resources() == []
    kp(project, "up")
    assert StandinCluster(project.cluster).nodes() == [f"{project.cluster}-control-plane"]
    project.pulumi("preview", "--expect-no-changes")


def test_registry_port_taken_preflight_refuses_and_creates_nothing(new_project):
    project = new_project(workers=0)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", project.port))
        holder.listen()
        refused = kp(project, "up", check=False)
    assert refused.returncode == 1
    assert f"port {project.port} on 127.0.0.1 is already in use" in refused.stderr
    assert container_id(project.registry) is None
    assert StandinCluster(project.cluster).nodes() == []
    stacks = json.loads(project.run(["pulumi", "stack", "ls", "--json"]).stdout)
    assert stacks == []  # not even a stack


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_ctrl_c_mid_up_exits_130_and_the_next_up_converges(new_project, tmp_path):
    project = new_project(workers=1)
    create = Hold(tmp_path / "hold", "create")
    running = project.spawn_kindplane("-c", str(project.config_path), "up", **create.env())
    create.wait_held()  # kind create is under way: the nodes exist, the create has not returned
    os.kill(running.pid, signal.SIGINT)
    # Pulumi lets the step in flight finish after Ctrl-C and leaves no trace of the cancel outside
    # the CLI until it has: a short grace for the forwarded interrupt to arrive, then the create ends.
    time.sleep(CANCEL_GRACE)
    create.release()
    out, err = running.communicate(timeout=300)
    assert running.returncode == 130, out + err
    assert "Interrupted" in err
    again = kp(project, "up")  # no stale lock, no "cluster not created by this stack"
    assert f"Cluster   {project.cluster}" in again.stdout
    project.pulumi("preview", "--expect-no-changes")
    assert len(StandinCluster(project.cluster).containerd_nodes()) == 2


def test_two_ups_at_once_the_second_refuses_clearly_and_the_state_is_intact(new_project, tmp_path):
    project = new_project(workers=0)
    create = Hold(tmp_path / "hold", "create")
    first = project.spawn_kindplane("-c", str(project.config_path), "up", **create.env())
    create.wait_held()  # the first holds the lock now
    second = kp(project, "up", check=False)
    create.release()
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert second.returncode == 1
    assert "another kindplane run is updating stack 'e2e' right now" in second.stderr
    project.pulumi("preview", "--expect-no-changes")


def test_a_corrupt_state_file_is_a_clear_error_and_nothing_is_deleted(new_project):
    project = new_project(workers=0)
    kp(project, "up")
    kept = container_id(project.registry)
    checkpoint = state_file(project.state_dir, "e2e")
    good = checkpoint.read_bytes()
    checkpoint.write_bytes(b"{ this is not a pulumi checkpoint")
    try:
        for args in (("up",), ("down", "--force")):
            failed = kp(project, *args, check=False)
            assert failed.returncode == 1
            assert failed.stderr.startswith("error: "), failed.stderr
            assert "Traceback" not in failed.stderr
            assert container_id(project.registry) == kept
            assert StandinCluster(project.cluster).nodes()
    finally:
        checkpoint.write_bytes(good)
    project.pulumi("preview", "--expect-no-changes")


@pytest.mark.xdist_group(SECOND_DAEMON_GROUP)
def test_docker_daemon_restarted_between_two_ups_nothing_is_lost(new_project, private_daemon):
    app_image = ensure_app_image(f"{unique_name('kpt-app')}:latest")  # inside the private daemon
    project = new_project(persistent=True, workers=0)
    kp(project, "up")
    push_to(f"localhost:{project.port}", app_image, "kept/app:v1")
    before = types_in_state(project)
    private_daemon.restart()
    # The registry has restart=always and comes back; the nodes (like kind's after a clean stop)
    # do not: up refuses to refresh them stopped, and says how to start them.
    nodes = StandinCluster(project.cluster).nodes()
    assert docker("inspect", "-f", "{{.State.Running}}", project.registry).stdout.strip() == "true"
    assert [docker("inspect", "-f", "{{.State.Running}}", n).stdout.strip() for n in nodes] == ["false"] * len(nodes)
    refused = kp(project, "up", check=False)
    assert refused.returncode == 1
    assert f"docker start {' '.join(sorted(nodes))}" in refused.stderr
    assert types_in_state(project) == before  # nothing dropped from the state
    docker("start", *nodes)
    kp(project, "up")
    assert registry_get(project.port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]
    node = StandinCluster(project.cluster).containerd_nodes()[0]
    assert StandinCluster(project.cluster).ctr_fetch(node, f"localhost:{project.port}/kept/app:v1").returncode == 0
    project.pulumi("preview", "--expect-no-changes")
