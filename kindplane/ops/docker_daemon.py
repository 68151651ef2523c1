"""The daemon behind the run's endpoint: which one it is, and whether `up` can use it.

kind's nodes and kindplane's registry must be made by one runtime (Docker, or Podman through its
Docker-compatible API), on this machine (the registry is published on the daemon's loopback), and
the `docker` CLI that kind and the program's node commands run must reach the same daemon.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Mapping, Optional

from .docker_endpoint import KIND_PROVIDER_ENV, PODMAN, DockerEndpoint, kind_node_runtime

if TYPE_CHECKING:  # the SDK is imported lazily: the CLI's fast paths never load it
    from docker import DockerClient


# A daemon's identity: its ID, host name and data root. The ID alone is not enough (daemons of one
# machine can share the key it comes from, /etc/docker/key.json), and Podman's compatible API
# makes up a new one on every request: for Podman the host name and storage root decide.
DAEMON_IDENTITY = "{{.ID}} {{.Name}} {{.DockerRootDir}}"


def daemon_identity(info: Mapping[str, object], podman: bool = False) -> str:
    """DAEMON_IDENTITY from the SDK's info(), as `docker info` prints it (no ID for Podman)."""
    return f"{'' if podman else info.get('ID') or ''} {info.get('Name') or ''} {info.get('DockerRootDir') or ''}"


def same_daemon(identity: str, printed: str, podman: bool = False) -> bool:
    """`docker info --format DAEMON_IDENTITY` output against daemon_identity() of kindplane's daemon."""
    daemon_id, _, rest = printed.strip().partition(" ")
    return (rest if podman else f"{daemon_id} {rest}") == identity.strip()


@dataclass(frozen=True)
class CliDaemon:
    """Which daemon the `docker` CLI on PATH reaches with the run's environment."""

    cli: str  # "`docker` (/usr/bin/docker)"
    daemon_id: str = ""
    problem: str = ""  # why no ID was read, in words
    fix: Optional[str] = None


def daemon_seen_by_cli(endpoint: DockerEndpoint, environ: Optional[Mapping[str, str]] = None) -> CliDaemon:
    """`docker info`'s daemon ID, run the way kind and the program's commands run it."""
    import shutil
    import subprocess

    environ = os.environ if environ is None else environ
    path = shutil.which("docker", path=environ.get("PATH"))
    if path is None:
        return CliDaemon(
            "`docker`",
            problem="is not installed (kind and kindplane's node commands run it)",
            fix="install the docker CLI: https://docs.docker.com/engine/install/",
        )
    cli = f"`docker` ({path})"
    try:
        done = subprocess.run(
            [path, "info", "--format", DAEMON_IDENTITY],
            capture_output=True,
            text=True,
            timeout=30,
            env={**environ, **endpoint.environment()},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CliDaemon(cli, problem=f"did not answer ({exc})")
    daemon_id = done.stdout.strip()
    if done.returncode != 0 or not daemon_id.partition(" ")[0] or "<no value>" in daemon_id:
        detail = (done.stderr.strip().splitlines() or [daemon_id or f"exit {done.returncode}"])[-1]
        return CliDaemon(cli, problem=f"cannot tell its daemon: `docker info` says {detail!r} (is it Docker's CLI?)")
    return CliDaemon(cli, daemon_id)


def is_podman(version: Mapping[str, object]) -> bool:
    """The daemon's /version (docker SDK version()) says Podman: its compat API lists "Podman Engine"."""
    components = version.get("Components") or []
    if not isinstance(components, list):
        return False
    return any(isinstance(c, dict) and "podman" in str(c.get("Name", "")).lower() for c in components)


def runtime_problem(
    endpoint: DockerEndpoint, version: Mapping[str, object], environ: Optional[Mapping[str, str]] = None
) -> Optional[str]:
    """kind's nodes and kindplane's registry would be made by two different runtimes."""
    environ = os.environ if environ is None else environ
    nodes_by_podman = kind_node_runtime(environ) == PODMAN
    if nodes_by_podman == is_podman(version):
        return None
    found = f"{'Podman' if is_podman(version) else 'Docker'} {version.get('Version', '?')} at {endpoint.describe()}"
    if nodes_by_podman:
        return (
            f"kind makes the nodes with Podman ({KIND_PROVIDER_ENV}=podman), but kindplane would make the registry "
            f"in {found}, where the nodes cannot reach it; point kindplane at Podman's Docker-compatible API: "
            f"`export DOCKER_HOST=unix://$(podman info --format '{{{{.Host.RemoteSocket.Path}}}}')`"
        )
    return (
        f"kind makes the nodes with Docker (the docker CLI), but kindplane would make the registry in {found}, "
        f"where the nodes cannot reach it; either let kind use Podman too (`export {KIND_PROVIDER_ENV}=podman`) or "
        f"point DOCKER_HOST at Docker"
    )


def is_this_machine(hostname: str) -> bool:
    """The name resolves to an address of this machine (one it can bind): a daemon there publishes
    its ports here."""
    import socket

    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)}
    except OSError:
        return False
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, 0))
                return True
            except OSError:
                continue
    return False


def remote_problem(endpoint: DockerEndpoint) -> Optional[str]:
    """A daemon on another machine publishes the registry there, not on this machine's localhost."""
    host = endpoint.remote_host
    if host is None or is_this_machine(host):
        return None
    return (
        f"Docker runs on {host} ({endpoint.describe()}): the registry would be published on that machine's "
        f"loopback, where kindplane's checks and registry commands on this machine cannot reach it (and the "
        f"port check here would test the wrong machine); run kindplane on {host} itself (`ssh {host}`, then "
        f"`kindplane up` there), or use a Docker daemon on this machine"
    )


def endpoint_problem(
    endpoint: DockerEndpoint, version: Mapping[str, object], environ: Optional[Mapping[str, str]] = None
) -> Optional[str]:
    """Why `up` must not start against this daemon (nodes and registry apart, or out of reach)."""
    return runtime_problem(endpoint, version, environ) or remote_problem(endpoint)


def push_messages(client: DockerClient, repository: str, tag: str) -> Iterator[dict]:
    """`docker push` through the daemon's API, as progress messages.

    Docker pushes to a registry on localhost over plain HTTP; Podman (containers/image) insists on
    HTTPS unless told otherwise, which its Docker-compatible push takes as `tlsVerify=false`. The
    registry here is kindplane's own, on this machine's loopback, so Podman is told.
    """
    if not is_podman(client.version()):
        yield from client.api.push(repository, tag, stream=True, decode=True)
        return
    from urllib.parse import quote

    api = client.api
    url = f"{api.base_url}/v{api.api_version}/images/{quote(repository, safe='/:')}/push"
    response = api.post(url, params={"tag": tag, "tlsVerify": "false"}, stream=True)
    if response.status_code >= 400:
        yield {"error": f"HTTP {response.status_code}: {response.text.strip()}"}
        return
    for line in response.iter_lines():
        if line.strip():
            yield json.loads(line)
