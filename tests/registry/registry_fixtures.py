"""Helpers for the registry tests: a docker-registry process and tiny `docker import` images."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
from harness.images import one_file_layer

REGISTRY_BIN = "/usr/bin/docker-registry"


class LocalRegistry:
    """A docker-registry process; `address` is what users write: localhost:<port>."""

    def __init__(self, root: Path, port: int, storage: Path | None = None, delete: bool = True):
        root.mkdir(parents=True, exist_ok=True)
        self.root, self.port = root, port
        self.address = f"localhost:{port}"
        self.storage = storage or root / "storage"
        self.config = root / "config.yml"
        self.config.write_text(
            "version: 0.1\n"
            "log:\n  level: warn\n"
            "storage:\n"
            f"  filesystem:\n    rootdirectory: {self.storage}\n"
            + ("  delete:\n    enabled: true\n" if delete else "")
            + f"http:\n  addr: 127.0.0.1:{port}\n"
        )
        self.log = open(root / "registry.log", "wb")
        self.process = subprocess.Popen(
            [REGISTRY_BIN, "serve", str(self.config)], stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        for _ in range(200):
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "registry.log").read_text())
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/v2/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not start")

    def host_runner(self, argv: list[str]) -> tuple[int, str]:
        """Runs the gc's argv on the host, where `registry` is Debian's docker-registry."""
        if argv[0] == "registry":
            argv = [REGISTRY_BIN] + argv[1:]
        done = subprocess.run(argv, capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Images:
    """Tiny images made with `docker import`; every tag made here is removed afterwards."""

    def __init__(self):
        self.made: list[str] = []

    def make(self, reference: str, payload: bytes = b"hello\n", size: int = 0) -> str:
        """An image whose only file holds payload (+ `size` random bytes, to make gc visible)."""
        layer = one_file_layer(payload + (os.urandom(size) if size else b""))
        subprocess.run(["docker", "import", "-", reference], input=layer, check=True, capture_output=True)
        self.made.append(reference)
        return reference

    def push(self, reference: str) -> None:
        subprocess.run(["docker", "push", reference], check=True, capture_output=True)

    def tag(self, source: str, reference: str) -> str:
        subprocess.run(["docker", "tag", source, reference], check=True, capture_output=True)
        self.made.append(reference)
        return reference

    def track(self, reference: str) -> None:
        self.made.append(reference)

    def cleanup(self) -> None:
        if self.made:
            subprocess.run(["docker", "rmi", "-f", *set(self.made)], capture_output=True)
