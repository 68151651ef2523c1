"""Safety rails under the real engine: a run killed outright is recovered from by the next one,
a plan that destroys the cluster is asked about, and a shared registry is only deleted on
request. Each test walks several rows of docs/reliability.md on one setup."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from pathlib import Path

from harness.cluster import StandinCluster
from harness.engine import container_id
from harness.faults import state_file
from harness.fixtures import push_to
from harness.holds import Hold
from harness.names import free_port
from harness.registry import registry_get

from kindplane.ops.run_guard import is_pulumi_part

HOST = socket.gethostname()
CONTAINER = "docker:index/container:Container"


def kp(project, *args, **kw):
    return project.kindplane("-c", str(project.config_path), *args, **kw)


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def locks(project) -> list[Path]:
    return sorted((project.state_dir / ".pulumi" / "locks").rglob("*.json"))


def recorded(project, type_: str) -> bool:
    """A resource of this type is in the state file as created (the file backend writes each step)."""
    try:
        checkpoint = json.loads(state_file(project.state_dir, project.stack).read_text())
    except (FileNotFoundError, ValueError):  # not written yet, or being written
        return False
    latest = (checkpoint.get("checkpoint") or {}).get("latest") or {}
    return any(r.get("type") == type_ for r in latest.get("resources") or [])


def removed_lock(pid: int) -> str:
    return f"removed the stale lock of a killed run (pulumi process {pid} on host {HOST} no longer runs)"


def lock_pid(project) -> int:
    [lock] = locks(project)
    return json.loads(lock.read_text())["pid"]


def kind_running(verb: str, cluster: str) -> bool:
    """A `kind <verb> cluster --name <cluster>` process is running on this host."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if verb.encode() in argv and b"cluster" in argv and cluster.encode() in argv:
            return True
    return False


def kill_group(running) -> None:
    """SIGKILL to kindplane's whole process group, as a closed terminal or the OOM killer does."""
    os.killpg(running.pid, signal.SIGKILL)
    running.communicate(timeout=60)
    assert running.returncode == -signal.SIGKILL


def descendants(root: int) -> list[tuple[int, str]]:
    """(pid, program name) of every process below `root`, from /proc (the name from its command
    line: /proc/<pid>/comm cuts names at 15 characters)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop(0)
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            found.append((pid, Path(argv[0].decode()).name))
        except OSError:
            continue
        queue.extend(children.get(pid, []))
    return found


def kill_tree(running, started: list[tuple[int, str]]) -> None:
    """SIGKILL to kindplane and every part of Pulumi below it at once (a CI job's time-out, an OOM
    kill): none lives on to remove Pulumi's lock, so the fault is certain. What a command resource
    started (kind) is left, as such a kill often misses it."""
    for pid, _ in started:
        if is_pulumi_part(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    kill_group(running)


def pulumi_parts(started: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Those of `started` still running that are Pulumi, a plugin, the language host or the program."""
    return [(pid, name) for pid, name in started if is_pulumi_part(pid)]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def node_ids(cluster: str) -> dict[str, str]:
    return {node: container_id(node) for node in StandinCluster(cluster).nodes()}


def test_sigkill_mid_up_and_mid_down_the_next_run_goes_on_with_no_manual_step(new_project, tmp_path):
    project = new_project(workers=1)
    create = Hold(tmp_path / "create", "create")
    running = project.spawn_kindplane("-c", str(project.config_path), "up", **create.env())
    # The registry container (made beside the cluster) is recorded; kind create is under way.
    create.wait_held()
    wait_for(lambda: recorded(project, CONTAINER) and kind_running("create", project.cluster))
    started = descendants(running.pid)  # pulumi, its plugins, the language host, the program
    assert {"pulumi-resource-docker", "pulumi-resource-command"} <= {name for _, name in started}, started
    kill_tree(running, started)
    pid = lock_pid(project)  # the killed run left its lock: the fault is real
    create.release()  # a kind the kill missed goes on, as a real one would

    again = kp(project, "up")
    assert removed_lock(pid) in again.stderr.splitlines()
    assert f"Cluster   {project.cluster}" in again.stdout
    assert len(StandinCluster(project.cluster).containerd_nodes()) == 2  # no orphan, none missing
    assert locks(project) == []
    project.pulumi("preview", "--expect-no-changes")

    delete = Hold(tmp_path / "delete", "delete")
    running = project.spawn_kindplane("-c", str(project.config_path), "down", "--force", **delete.env())
    delete.wait_held()
    started = descendants(running.pid)
    # Only kindplane is killed (a closed terminal): its guard ends Pulumi and every part of it —
    # after a grace period to cancel, so whether Pulumi could still remove its lock is a race the
    # next run must not care about.
    kill_group(running)
    wait_for(lambda: pulumi_parts(started) == [], timeout=60)
    delete.release()

    down = kp(project, "down", "--force")
    assert "Destroyed stack e2e" in down.stdout
    assert locks(project) == []
    wait_for(lambda: not kind_running("delete", project.cluster))  # the killed run's kind, if it lived on
    assert StandinCluster(project.cluster).nodes() == []
    assert container_id(project.registry) is None
    assert project.managed_resources() == []


def test_a_worker_added_is_asked_about_refused_without_a_terminal_and_done_with_yes(new_project, app_image):
    project = new_project(workers=1)
    kp(project, "up")
    nochange = kp(project, "up")
    assert "Reading the plan" not in nochange.stdout  # the settings did not change: one update, no preview
    before = node_ids(project.cluster)
    push_to(f"localhost:{project.port}", app_image, "kept/app:v1")

    project.write_config(project.config_path.read_text().replace("workers: 1", "workers: 2"))
    reason = f"cluster {project.cluster} will be re-created: every workload in it is lost; reason: nodes.workers 1 → 2"
    plan = kp(project, "preview")
    assert f"! {reason}" in plan.stdout.splitlines()
    refused = kp(project, "up", check=False)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-2:] == [
        f"warning: {reason}",
        "error: up would destroy what is listed above and there is no terminal to ask on; nothing was changed. "
        "Run `kindplane up --yes` to go ahead, or undo the change in kindplane.yaml",
    ]
    assert node_ids(project.cluster) == before  # the old nodes, untouched

    done = kp(project, "up", "--yes")
    assert f"warning: {reason}" in done.stderr.splitlines()
    assert len(StandinCluster(project.cluster).containerd_nodes()) == 3
    assert not set(node_ids(project.cluster).values()) & set(before.values())
    project.pulumi("preview", "--expect-no-changes")
    assert "Reading the plan" not in kp(project, "up").stdout  # recorded again: back to one run

    # Not persistent, but its images live in <name>-data all the same: a new port re-creates the
    # container on that volume, which loses nothing, so up says so in one line and does not ask.
    old_registry = container_id(project.registry)
    new_port = free_port()
    project.write_config(project.config_path.read_text().replace(f"port: {project.port}", f"port: {new_port}"))
    moved = kp(project, "up")  # no terminal, no --yes
    assert (
        f"registry {project.registry} will be re-created on its volume {project.registry}-data: no image is lost "
        f"(reason: registry.port {project.port} → {new_port})"
    ) in moved.stdout.splitlines()
    assert container_id(project.registry) not in (None, old_registry)
    assert registry_get(new_port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]
