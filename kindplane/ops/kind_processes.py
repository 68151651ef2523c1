"""`kind create cluster` / `kind delete cluster` processes still running on this host.

A run killed outright (SIGKILL, the OOM killer) takes kindplane and the Pulumi CLI with it, but
not Pulumi's command provider: Pulumi starts plugins in process groups of their own, and they
notice a dead engine only at their next health check, minutes later. A `kind create cluster`
the provider started runs on, and on failure kind deletes every node of that cluster name, the
next run's included. So the run after a killed one waits for it first.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

KIND_VERBS = ("create", "delete")


@dataclass(frozen=True)
class KindProcess:
    pid: int
    verb: str  # create or delete
    cluster: str

    def describe(self) -> str:
        return f"`kind {self.verb} cluster --name {self.cluster}` (pid {self.pid})"


def kind_cluster_processes(clusters: Collection[str]) -> list[KindProcess]:
    """Running `kind create|delete cluster --name <c>` for any of `clusters`, this process excluded."""
    found = []
    for pid, argv in _processes():
        command = _kind_cluster_command(argv)
        if command is not None and command[1] in clusters and pid != os.getpid():
            found.append(KindProcess(pid, *command))
    return found


def wait_for_kind(
    clusters: Collection[str], on_wait: Callable[[KindProcess], None], timeout: float = 600.0, interval: float = 0.5
) -> list[KindProcess]:
    """Waits until no kind command for `clusters` runs; calls `on_wait` once per process found.
    Returns those still running after `timeout` (empty when all finished)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while True:
        running = kind_cluster_processes(clusters)
        for process in running:
            if process.pid not in seen:
                seen.add(process.pid)
                on_wait(process)
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(interval)


def _kind_cluster_command(argv: list[str]) -> tuple[str, str] | None:
    """(verb, cluster) of `kind create|delete cluster … --name <c>`: kind itself, or kind run by
    an interpreter (`python3 …/kind create cluster …`)."""
    for i, word in enumerate(argv[:2]):
        rest = argv[i + 1 :]
        if Path(word).name == "kind" and rest[:1] and rest[0] in KIND_VERBS and rest[1:2] == ["cluster"]:
            flags = rest[2:]
            if "--name" in flags[:-1]:
                return rest[0], flags[flags.index("--name") + 1]
    return None


def _processes() -> Iterator[tuple[int, list[str]]]:
    proc = Path("/proc")
    if proc.is_dir():
        for cmdline in proc.glob("[0-9]*/cmdline"):
            try:
                argv = cmdline.read_bytes().decode(errors="replace").split("\0")[:-1]
            except OSError:  # it exited while we looked
                continue
            yield int(cmdline.parent.name), argv
        return
    # macOS and other BSDs: ps splits arguments on spaces, which kind's never contain.
    listing = subprocess.run(["ps", "-axo", "pid=,command="], capture_output=True, text=True, timeout=30).stdout
    for line in listing.splitlines():
        pid, _, command = line.strip().partition(" ")
        if pid.isdigit():
            yield int(pid), command.split()
