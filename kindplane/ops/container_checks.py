"""The doctor checks every container kindplane keeps gets (the registry, each mirror)."""

from __future__ import annotations

import shlex
from typing import Optional

from .check_result import CheckResult, fail, ok
from .docker_lookup import has_kindplane_role

q = shlex.quote


def container_running(
    title: str, name: str, role: str, attrs: Optional[dict], missing_fix: Optional[str], detail: str = ""
) -> CheckResult:
    """Missing or stopped fails with its fix; a running one says since when and whether it is ours."""
    if attrs is None:
        return fail(title, f"no container named {name}", missing_fix)
    state = attrs.get("State") or {}
    if not state.get("Running"):
        return fail(title, f"container is {state.get('Status', 'not running')}", f"docker start {q(name)}")
    foreign = "" if has_kindplane_role(attrs, role) else f" (not created by kindplane: no kindplane {role} labels)"
    return ok(title, f"{detail}up since {state.get('StartedAt', '?')[:19]}{foreign}")


def on_network(title: str, name: str, attrs: dict, network: str, address: str) -> CheckResult:
    """Nodes reach the container by name only on kind's network."""
    networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    if network not in networks:
        return fail(
            title,
            f"{name} is on {', '.join(sorted(networks)) or 'no network'}; nodes cannot reach {address}",
            f"docker network connect {q(network)} {q(name)}",
        )
    return ok(title, f"nodes reach it as {address}")
