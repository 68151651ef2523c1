"""After a run killed outright: its stale stack lock is removed when its process is gone from
this host (a live one, another host's, or an unreadable one is left for Pulumi to refuse on), and
the `kind` command it left running is waited for."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from kindplane.cli.engine import PulumiEngine
from kindplane.cli.stack_locks import is_stale, process_runs, read_locks
from kindplane.cli.workspace import StackTarget
from kindplane.ops.kind_processes import KindProcess, kind_cluster_processes, wait_for_kind

HOST = socket.gethostname()


def a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f123Z")  # Go writes nanoseconds


def write_lock(folder: Path, name: str, pid: int, hostname: str = HOST, timestamp: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"pid": pid, "username": "me", "hostname": hostname, "timestamp": timestamp or now()}))
    (folder / f"{name}.json.attrs").write_text('{"md5":"x"}')
    return path


def engine_on(backend: Path) -> PulumiEngine:
    project = backend / "project"
    return PulumiEngine(
        StackTarget("dev", project, "kindplane.yaml", project / "kindplane.yaml", backend.as_uri(), False)
    )


def test_a_lock_whose_process_is_gone_from_this_host_is_stale(tmp_path):
    assert read_locks(tmp_path / "none-yet") == []
    write_lock(tmp_path, "a", a_dead_pid())
    write_lock(tmp_path, "b", os.getpid())  # this very process: alive
    write_lock(tmp_path, "c", a_dead_pid(), hostname="another-laptop")
    (tmp_path / "d.json").write_text("not json")  # unreadable: never touched
    found = {lock.path.stem: lock for lock in read_locks(tmp_path)}
    assert sorted(found) == ["a", "b", "c"]
    assert [is_stale(found[n]) for n in ("a", "b", "c")] == [True, False, False]


def test_a_reused_pid_or_a_zombie_is_not_the_process_that_took_the_lock():
    # Our own pid, with a lock taken an hour before this process started: a reused pid.
    an_hour_ago = time.time() - 3600
    assert not process_runs(os.getpid(), an_hour_ago)
    assert process_runs(os.getpid(), time.time())
    zombie = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not process_runs(zombie.pid)  # exited; its parent has not reaped it yet
    zombie.wait()


def test_the_engine_removes_only_the_stale_locks_of_its_stack_with_their_sidecars(tmp_path):
    folder = tmp_path / ".pulumi" / "locks" / "organization" / "kindplane" / "dev"
    dead_pid = a_dead_pid()
    stale = write_lock(folder, "stale", dead_pid)
    live = write_lock(folder, "live", os.getpid())
    other_stack = write_lock(tmp_path / ".pulumi" / "locks" / "organization" / "kindplane" / "prod", "x", a_dead_pid())
    assert engine_on(tmp_path).clear_stale_locks() == [f"pulumi process {dead_pid} on host {HOST}"]
    assert not stale.exists() and not stale.with_name("stale.json.attrs").exists()
    assert live.exists() and live.with_name("live.json.attrs").exists()
    assert other_stack.exists()
    assert engine_on(tmp_path).clear_stale_locks() == []


def test_other_backends_are_never_touched(tmp_path):
    project = tmp_path / "project"
    engine = PulumiEngine(
        StackTarget("dev", project, "kindplane.yaml", project / "kindplane.yaml", "s3://bucket", False)
    )
    assert engine.clear_stale_locks() == []


def _wait_for_exec(pid: int, program: str) -> None:
    """Until the child has exec'd (before that its command line is this Python's)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    deadline = time.monotonic() + 10
    while program.encode() not in cmdline.read_bytes():
        assert time.monotonic() < deadline, f"pid {pid} never ran {program}"
        time.sleep(0.01)


def fake_kind(seconds: int) -> str:
    """A `kind` that waits without forking, as kind's Go binary does: a shell's `sleep` child, between
    its fork and exec, shows the script's own command line and would be counted a second time."""
    return f"#!{sys.executable}\nimport time\ntime.sleep({seconds})\n"


def test_a_kind_command_left_running_is_found_by_cluster_name_and_waited_for(tmp_path):
    kind = tmp_path / "bin" / "kind"
    kind.parent.mkdir()
    kind.write_text(fake_kind(3))
    kind.chmod(0o755)
    left = subprocess.Popen(
        [str(kind), "create", "cluster", "--name", "shop", "--config", "-"], stdin=subprocess.DEVNULL
    )
    by_interpreter = subprocess.Popen([sys.executable, str(kind), "delete", "cluster", "--name", "shop"])
    other = subprocess.Popen([str(kind), "create", "cluster", "--name", "other"], stdin=subprocess.DEVNULL)
    try:
        for process in (left, by_interpreter, other):
            _wait_for_exec(process.pid, str(kind))
        found = sorted(kind_cluster_processes({"shop"}), key=lambda p: p.pid)
        assert found == sorted(
            [KindProcess(left.pid, "create", "shop"), KindProcess(by_interpreter.pid, "delete", "shop")],
            key=lambda p: p.pid,
        )
        seen: list[KindProcess] = []
        assert wait_for_kind({"shop"}, seen.append, timeout=30, interval=0.05) == []
        assert sorted(p.pid for p in seen) == sorted([left.pid, by_interpreter.pid])
        # A process's command line reads empty from the moment the kernel frees its memory, a
        # little before it turns zombie and poll() can reap it; a wait that returned early would
        # find both still in their 3 s sleep.
        left.wait(timeout=1)
        by_interpreter.wait(timeout=1)
        assert seen[0].describe() == f"`kind {seen[0].verb} cluster --name shop` (pid {seen[0].pid})"
    finally:
        for process in (left, by_interpreter, other):
            process.kill()
            process.wait()


def test_a_kind_command_still_running_after_the_wait_is_returned(tmp_path):
    kind = tmp_path / "kind"
    kind.write_text(fake_kind(30))
    kind.chmod(0o755)
    left = subprocess.Popen([str(kind), "create", "cluster", "--name", "slow"])
    try:
        _wait_for_exec(left.pid, str(kind))
        assert wait_for_kind({"slow"}, lambda p: None, timeout=0.2, interval=0.05) == [
            KindProcess(left.pid, "create", "slow")
        ]
    finally:
        left.kill()
        left.wait()
