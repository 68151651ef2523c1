"""Faults the engine tests inject: a silent API server, a corrupt state file (a daemon restart:
harness.second_daemon.SecondDaemon.restart, on a daemon of the test's own)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from . import apiserver


class SilencedApiServer:
    """Stops a stand-in cluster's kube-apiserver (etcd and its data stay) and starts it again
    with the same arguments: the cluster is unreachable for a while, then answers as before."""

    RETRY_DELAY = 1.0  # seconds between a start that exited and the next

    def __init__(self, cluster: str):
        self.cluster = cluster
        self.directory = apiserver.cluster_dir(cluster)
        pid = apiserver.pids(cluster)["kube-apiserver"]
        self.argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
        os.kill(pid, signal.SIGKILL)
        while apiserver.running(pid, self.directory):
            time.sleep(0.05)

    def restore(self, attempts: int = 3) -> float:
        """Starts it again and waits until it answers. A start that exits at once is tried again
        (once, under a fully loaded CI run, the restarted server was gone before its first log
        line, and the test failed on the harness rather than on kindplane); its exit status is
        in the error when every attempt exits."""
        for attempt in range(1, attempts + 1):
            proc = self._start()
            try:
                return apiserver.wait_ready(self.cluster)
            except apiserver.ApiServerError as exc:
                status = proc.poll()
                if status is None or attempt == attempts:
                    raise apiserver.ApiServerError(
                        f"{exc}\n(restart {attempt} of {attempts}; exit status {status})"
                    ) from None
            time.sleep(self.RETRY_DELAY)
        raise AssertionError("unreachable")

    def _start(self) -> subprocess.Popen:
        with open(self.directory / "kube-apiserver.log", "ab") as log:
            proc = subprocess.Popen(
                self.argv,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        (self.directory / "kube-apiserver.pid").write_text(f"{proc.pid}\n")
        return proc


def state_file(backend_dir: Path, stack: str) -> Path:
    """The file backend's checkpoint of a stack (project `kindplane`)."""
    folder = backend_dir / ".pulumi" / "stacks" / "kindplane"
    found = sorted(folder.glob(f"{stack}.json*"))
    if not found:
        raise FileNotFoundError(f"no checkpoint for stack {stack} in {folder}")
    return found[0]
