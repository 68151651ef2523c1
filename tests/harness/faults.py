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

    def __init__(self, cluster: str):
        self.cluster = cluster
        self.directory = apiserver.cluster_dir(cluster)
        pid = apiserver.pids(cluster)["kube-apiserver"]
        self.argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
        os.kill(pid, signal.SIGKILL)
        while apiserver.running(pid, self.directory):
            time.sleep(0.05)

    def restore(self) -> float:
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
        return apiserver.wait_ready(self.cluster)


def state_file(backend_dir: Path, stack: str) -> Path:
    """The file backend's checkpoint of a stack (project `kindplane`)."""
    folder = backend_dir / ".pulumi" / "stacks" / "kindplane"
    found = sorted(folder.glob(f"{stack}.json*"))
    if not found:
        raise FileNotFoundError(f"no checkpoint for stack {stack} in {folder}")
    return found[0]
