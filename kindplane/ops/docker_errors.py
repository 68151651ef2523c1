"""Docker's errors in one line each: what failed, why, and the fix — never the daemon's raw
"500 Server Error for http+docker://…" text or a traceback.

`explain` knows the causes users meet when kindplane starts, creates or inspects its containers
(a port taken, an image missing, the daemon gone); anything else keeps Docker's own explanation,
trimmed to its last clause, under the same shape.
"""

from __future__ import annotations

import re

from .port_holder import port_holder


def docker_failures() -> tuple[type[BaseException], ...]:
    """What a Docker call raises when the daemon refuses or goes away: `except docker_failures()`
    (evaluated only when something is raised, so importing this costs no docker SDK import)."""
    import docker
    import requests

    return (docker.errors.APIError, requests.exceptions.ConnectionError)


_PORT_TAKEN = re.compile(r"(?:listen tcp[46]? |bind for )(?P<ip>[0-9a-f.:\[\]]*?):(?P<port>\d+)", re.IGNORECASE)


def explain(exc: BaseException, what: str, port_key: str = "") -> str:
    """One line for `exc`, raised while doing `what` ("the registry container kpe-reg cannot start").
    `port_key`: the kindplane.yaml key of the port, for the port-taken fix."""
    text = _docker_text(exc)
    lowered = text.lower()
    if "address already in use" in lowered or "port is already allocated" in lowered:
        found = _PORT_TAKEN.search(text)
        port = int(found.group("port")) if found else None
        where = f"port {port}" if port else "its port"
        who = (port_holder(port) if port else None) or "another program"
        key = f"set {port_key} to a free port in kindplane.yaml" if port_key else "choose another port"
        return f"{what}: {where} is already in use by {who}; stop it, or {key}"
    if "no such image" in lowered or "not found: manifest unknown" in lowered:
        return f"{what}: its image is missing ({_last_clause(text)}); `docker pull` it (or load it) and run up again"
    if _daemon_gone(exc, lowered):
        return f"{what}: the Docker daemon stopped answering ({_last_clause(text)}); start it and run up again"
    return f"{what}: {_last_clause(text)}"


def _docker_text(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return str(explanation or exc).strip()


def _last_clause(text: str) -> str:
    """Docker nests its causes with ": "; the last one or two say what went wrong."""
    parts = [p.strip() for p in text.split(": ") if p.strip()]
    return ": ".join(parts[-2:]) if len(parts) > 1 else (parts[0] if parts else "unknown error")


def _daemon_gone(exc: BaseException, lowered: str) -> bool:
    import requests

    return isinstance(exc, requests.exceptions.ConnectionError) or "connection refused" in lowered
