"""A second dockerd beside the harness's, for tests of Docker contexts (`docker context use`).

Its own socket, data and exec roots under one short folder, its own bridge interface and address
pool (never `--bridge=none`: that daemon would delete the host's docker0 under the first one), no
iptables, vfs storage, as the harness's own daemon runs. A private DOCKER_CONFIG holds the context,
so `docker context use` never changes the machine's default for anyone else. The harness images
are built inside it (images cannot be pulled). Stopping it removes the bridge and every file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

BRIDGE = "kpctx0"
BRIDGE_ADDRESS = "10.213.0.1/24"
ADDRESS_POOL = "base=10.214.0.0/16,size=24"  # networks it creates (the `kind` network)
START_TIMEOUT = 60.0
SECOND_DAEMON_GROUP = "second-dockerd"  # xdist group of every test that starts one


@dataclass
class SecondDaemon:
    root: Path
    docker_config: Path  # a private DOCKER_CONFIG whose current context is this daemon
    context: str
    process: Optional[subprocess.Popen] = None

    @property
    def host(self) -> str:
        return f"unix://{self.root}/docker.sock"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`docker ARGS` against this daemon (by DOCKER_HOST, not the context)."""
        env = {**os.environ, "DOCKER_HOST": self.host}
        done = subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=300)
        if check and done.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} on {self.host}: {done.stderr}")
        return done

    @contextlib.contextmanager
    def selected(self) -> Iterator[None]:
        """This process's docker CLI (the harness's image builders) talks to this daemon."""
        previous = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = self.host
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("DOCKER_HOST", None)
            else:
                os.environ["DOCKER_HOST"] = previous

    def start(self, address_pool: bool = True) -> None:
        # The pool keeps the networks it creates (the `kind` network) off the harness daemon's
        # subnets. Only on the first start: dockerd 20.10, restarted with a pool, deletes the
        # host's `docker0` (removeDefaultBridgeInterface, whatever --bridge says) and with it
        # the networking of every container on the harness's own daemon.
        pool = ["--default-address-pool", ADDRESS_POOL] if address_pool else []
        with open(self.root / "dockerd.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    "dockerd",
                    "--host",
                    self.host,
                    "--data-root",
                    str(self.root / "data"),
                    "--exec-root",
                    str(self.root / "exec"),
                    "--pidfile",
                    str(self.root / "docker.pid"),
                    "--iptables=false",
                    "--storage-driver=vfs",
                    f"--bridge={BRIDGE}",
                    *pool,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while self.cli("info", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"the second dockerd did not start:\n{(self.root / 'dockerd.log').read_text()[-3000:]}"
                )
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM, as `systemctl stop docker` sends it: containers stop, restart policies stay."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """A daemon restart (a reboot, `systemctl restart docker`): same data, same settings."""
        self.stop()
        self.start(address_pool=False)  # its networks exist already


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True)


@contextlib.contextmanager
def second_dockerd(context: str = "kpctx") -> Iterator[SecondDaemon]:
    """Only one at a time on a machine (one bridge name): tests using it share the xdist group
    SECOND_DAEMON_GROUP."""
    # Short: containerd's sockets live under the exec root (unix socket paths are limited).
    root = Path(tempfile.mkdtemp(prefix="kpctx-", dir="/tmp"))
    daemon = SecondDaemon(root, root / "docker-config", context)
    _ip("link", "del", BRIDGE, check=False)  # a leftover of a killed run
    _ip("link", "add", "name", BRIDGE, "type", "bridge")
    try:
        _ip("addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        daemon.start()
        env = {**os.environ, "DOCKER_CONFIG": str(daemon.docker_config)}
        env.pop("DOCKER_HOST", None)
        for argv in (["context", "create", context, "--docker", f"host={daemon.host}"], ["context", "use", context]):
            subprocess.run(["docker", *argv], check=True, capture_output=True, env=env)
        yield daemon
    finally:
        if daemon.process is not None:
            with contextlib.suppress(AssertionError):  # containers first: they hold vfs layers
                ids = daemon.cli("ps", "-aq", check=False).stdout.split()
                if ids:
                    daemon.cli("rm", "-f", "-v", *ids, check=False)
            daemon.stop()
        _ip("link", "del", BRIDGE, check=False)
        subprocess.run(["umount", "-R", str(root / "exec")], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
