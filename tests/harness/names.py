"""Unique names and free ports, so parallel runs and a developer's own kind/registry never clash."""

from __future__ import annotations

import socket
import uuid


def unique_name(prefix: str = "kpt") -> str:
    """`<prefix>-<8 hex>`: a valid DNS label, short enough for kind's node names."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    """A TCP port nothing listens on right now on 127.0.0.1 (never 5001, kind's default)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != 5001:
            return port


# xdist group of every test that publishes host ports 80 and 443 (cluster.ingress): one at a time.
HOST_PORTS_GROUP = "host-ports-80-443"
