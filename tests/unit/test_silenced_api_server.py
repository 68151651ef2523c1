"""The fault harness's API server restart (tests/harness/faults.py): a restarted kube-apiserver
that exits at once is started again, and the error names the exit status when every start fails.
A stand-in script plays kube-apiserver; `wait_ready` is replaced by its liveness check alone."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from harness import apiserver, faults

CLUSTER = "kpu-silenced"


def silenced(tmp_path: Path, monkeypatch, exits: int) -> faults.SilencedApiServer:
    """A SilencedApiServer whose server is a script that exits 3 on its first `exits` starts,
    then runs; each start adds a line to `starts`."""
    directory = tmp_path / "apiservers" / CLUSTER
    directory.mkdir(parents=True)
    script = tmp_path / "kube-apiserver"
    script.write_text(
        "#!/bin/sh\n"
        f'echo start >> "{tmp_path}/starts"\n'
        f'[ "$(wc -l < "{tmp_path}/starts")" -le {exits} ] && exit 3\n'
        "while :; do sleep 1; done\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr(apiserver, "cluster_dir", lambda name: tmp_path / "apiservers" / name)
    monkeypatch.setattr(faults.SilencedApiServer, "RETRY_DELAY", 0.0)
    monkeypatch.setattr(apiserver, "wait_ready", alive_after_a_moment)
    fault = object.__new__(faults.SilencedApiServer)
    fault.cluster, fault.directory = CLUSTER, directory
    fault.argv = [str(script), f"--cert-dir={directory}/certs"]  # the directory in its argv, as the real one
    return fault


def alive_after_a_moment(name: str) -> float:
    time.sleep(0.3)
    pid = apiserver.pids(name)["kube-apiserver"]
    if not apiserver.running(pid, apiserver.cluster_dir(name)):
        raise apiserver.ApiServerError("kube-apiserver exited during start-up:\n(log)")
    return 0.3


def starts(tmp_path: Path) -> int:
    return len((tmp_path / "starts").read_text().splitlines())


def stop(fault: faults.SilencedApiServer) -> None:
    pid = apiserver.pids(fault.cluster).get("kube-apiserver")
    if pid is not None and apiserver.running(pid, fault.directory):
        os.kill(pid, signal.SIGKILL)


def test_a_restart_that_exits_at_once_is_started_again(tmp_path, monkeypatch):
    fault = silenced(tmp_path, monkeypatch, exits=1)
    try:
        assert fault.restore() == 0.3
        assert starts(tmp_path) == 2
        pid = apiserver.pids(CLUSTER)["kube-apiserver"]
        assert apiserver.running(pid, fault.directory)  # the pid file names the one that runs
    finally:
        stop(fault)


def test_every_start_exiting_fails_with_the_exit_status(tmp_path, monkeypatch):
    fault = silenced(tmp_path, monkeypatch, exits=5)
    with pytest.raises(apiserver.ApiServerError) as failed:
        fault.restore(attempts=3)
    assert "kube-apiserver exited during start-up" in str(failed.value)
    assert "(restart 3 of 3; exit status 3)" in str(failed.value)
    assert starts(tmp_path) == 3


def test_a_server_that_runs_but_never_answers_is_not_started_twice(tmp_path, monkeypatch):
    fault = silenced(tmp_path, monkeypatch, exits=0)

    def never_ready(name: str) -> float:
        alive_after_a_moment(name)  # it runs…
        raise apiserver.ApiServerError("/readyz not ready after 180 s")  # …but never answers

    monkeypatch.setattr(apiserver, "wait_ready", never_ready)
    try:
        with pytest.raises(apiserver.ApiServerError) as failed:
            fault.restore()
        assert "(restart 1 of 3; exit status None)" in str(failed.value)
        assert starts(tmp_path) == 1
    finally:
        stop(fault)
