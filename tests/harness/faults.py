"""Faults the engine tests inject: a silent API server, a corrupt state file, a second run."""

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


def default_dockerd_pids() -> list[str]:
    """The daemon behind the default socket only: a second daemon (context tests, another
    engineer's) has its own pid file and must survive this fault."""
    pidfile = Path("/var/run/docker.pid")
    if pidfile.is_file() and pidfile.read_text().strip().isdigit():
        return [pidfile.read_text().strip()]
    return subprocess.run(["pidof", "dockerd"], capture_output=True, text=True).stdout.split()


def restart_docker_daemon(timeout: float = 120.0) -> None:
    """Stops dockerd as a reboot or `systemctl restart docker` would, then starts it again
    through the harness (which clears the stale pid file a killed daemon leaves behind)."""
    pids = default_dockerd_pids()
    for pid in pids:
        os.kill(int(pid), signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(
        Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        for pid in pids
        if Path(f"/proc/{pid}/stat").exists()
    ):
        if time.monotonic() > deadline:
            raise TimeoutError("dockerd did not stop")
        time.sleep(0.2)
    script = Path(__file__).resolve().parent / "ensure_docker.sh"
    subprocess.run(["bash", str(script), "start"], check=True, capture_output=True, timeout=timeout)
