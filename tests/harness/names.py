"""Unique names and free ports, so parallel runs and a developer's own kind/registry never clash."""

from __future__ import annotations

import os
import random
import socket
import uuid


def unique_name(prefix: str = "kpt") -> str:
    """`<prefix>-<8 hex>`: a valid DNS label, short enough for kind's node names."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# Ports tests publish come from below Linux's ephemeral range (32768-60999): a port the kernel
# hands out for "any port" (port 0) goes again to whoever asks next — a Pulumi plugin's gRPC
# listener, a stand-in cluster's etcd — so a registry port found free that way was once taken
# between the check and `docker run` ("bind: address already in use"). Each xdist worker has its
# own block and walks it round-robin, as the kernel does, so a port is not handed out twice in a row.
PORT_BLOCK = 3000
PORTS_START = 20000
_next_port: dict[str, int] = {}


def _worker_block() -> tuple[int, int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 3
    first = PORTS_START + (index % 4) * PORT_BLOCK
    return first, first + PORT_BLOCK


def free_port() -> int:
    """A TCP port nothing listens on right now on 127.0.0.1, from this worker's block below the
    ephemeral range (never 5001, kind's default)."""
    first, end = _worker_block()
    # A random start per process: the stand-in `kind` and the test each walk the same block.
    start = _next_port.get("next") or first + random.randrange(PORT_BLOCK)
    for offset in range(PORT_BLOCK):
        port = first + (start - first + offset) % PORT_BLOCK
        if port == 5001:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _next_port["next"] = port + 1 if port + 1 < end else first
        return port
    raise RuntimeError(f"no free port in {first}-{end - 1}")


def ephemeral_port() -> int:
    """A port the kernel picks (its ephemeral range), for a process of the harness that binds it
    at once (a stand-in cluster's etcd and kube-apiserver): never one a test publishes."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# xdist group of every test that publishes host ports 80 and 443 (cluster.ingress): one at a time.
HOST_PORTS_GROUP = "host-ports-80-443"
