"""Podman for the tests of `KIND_EXPERIMENTAL_PROVIDER=podman` (Debian's podman, rootful here).

Everything is private to one short folder: storage (vfs: no overlay mounts without privileges),
run root, networks and the Docker-compatible API socket (`podman system service`), chosen through
CONTAINERS_STORAGE_CONF and CONTAINERS_CONF, so neither the machine's Podman defaults nor the
harness's dockerd are touched. `default_ulimits = []`: a rootful Podman would otherwise ask runc
for RLIMIT_NOFILE/NPROC values this sandbox refuses to set. Stopping removes every container,
network and file it made.
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

START_TIMEOUT = 60.0


def podman_problem() -> Optional[str]:
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman)"
    return None


@dataclass(frozen=True)
class PodmanService:
    root: Path

    @property
    def host(self) -> str:
        return f"unix://{self.root}/podman.sock"

    def environment(self) -> dict[str, str]:
        """What makes `podman` (kind's nodes) use this Podman's storage and networks."""
        return {
            "CONTAINERS_STORAGE_CONF": str(self.root / "storage.conf"),
            "CONTAINERS_CONF": str(self.root / "containers.conf"),
        }

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            ["podman", *args], capture_output=True, text=True, timeout=300, env={**os.environ, **self.environment()}
        )
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}: {done.stderr}")
        return done

    @contextlib.contextmanager
    def selected(self) -> Iterator[None]:
        """This process's docker CLI (the harness's image builders) and podman use this Podman."""
        names = ["DOCKER_HOST", *self.environment()]
        previous = {name: os.environ.get(name) for name in names}
        os.environ.update({"DOCKER_HOST": self.host, **self.environment()})
        try:
            yield
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@contextlib.contextmanager
def podman_service() -> Iterator[PodmanService]:
    root = Path(tempfile.mkdtemp(prefix="kppod-", dir="/tmp"))
    service = PodmanService(root)
    (root / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{root}/storage"\nrunroot = "{root}/run"\n'
    )
    (root / "containers.conf").write_text(
        "[containers]\ndefault_ulimits = []\n"
        f'[network]\nnetwork_config_dir = "{root}/networks"\n'
        f'[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "{root}/events.log"\n'
        f'tmp_dir = "{root}/tmp"\n'
    )
    process = None
    try:
        with open(root / "service.log", "wb") as log:
            process = subprocess.Popen(
                ["podman", "system", "service", "--time=0", service.host],
                env={**os.environ, **service.environment()},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        env = {**os.environ, "DOCKER_HOST": service.host}
        while subprocess.run(["docker", "version"], env=env, capture_output=True).returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "service.log").read_text()[-3000:]
                raise AssertionError(f"podman system service did not start:\n{log}")
            time.sleep(0.3)
        yield service
    finally:
        with contextlib.suppress(Exception):
            service.podman("rm", "-a", "-f", "-v", check=False)
            for network in service.podman("network", "ls", "--format", "{{.Name}}", check=False).stdout.split():
                if network != "podman":
                    service.podman("network", "rm", "-f", network, check=False)
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(Exception):
            service.podman("system", "reset", "--force", check=False)
        subprocess.run(["umount", "-R", str(root / "run")], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
