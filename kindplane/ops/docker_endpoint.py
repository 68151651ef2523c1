"""The one Docker daemon a run talks to, resolved the way the docker CLI (and so kind) resolves it.

The docker CLI picks DOCKER_HOST, else the context DOCKER_CONTEXT names, else the config's
`currentContext` (`docker context use`), else the default socket. The docker SDK's from_env()
reads DOCKER_HOST only, and the pulumi-docker provider reads DOCKER_HOST or DOCKER_CONTEXT (and
looks contexts up under the OS account's home only): with `docker context use` alone, one `up`
would make the nodes on one daemon and the registry on another. So kindplane resolves the endpoint
once and hands that same endpoint to its own look-ups, to the provider and to every command.

The docker SDK's ContextAPI is not used: it ignores DOCKER_HOST and DOCKER_CONTEXT, and finds the
context store only beside an existing config.json (`docker context create` in a fresh config
writes none). The store's layout is small and documented: meta/<sha256(name)>/meta.json and
tls/<sha256(name)>/docker/{ca,cert,key}.pem under <config dir>/contexts.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional
from urllib.parse import urlparse

if TYPE_CHECKING:  # the SDK is imported lazily: the CLI's fast paths never load it
    from docker import DockerClient

DEFAULT_HOST = "npipe:////./pipe/docker_engine" if sys.platform == "win32" else "unix:///var/run/docker.sock"
DEFAULT_CONTEXT = "default"


class DockerUnavailable(RuntimeError):
    pass


class EndpointError(DockerUnavailable):
    """The docker configuration names a daemon that cannot be used; the message says the fix."""


@dataclass(frozen=True)
class DockerEndpoint:
    host: str  # unix:///…, tcp://…, ssh://…, npipe://…
    origin: str  # where it came from, in words: "DOCKER_HOST", "docker context colima (current)", …
    context: Optional[str] = None  # the docker context it was read from
    cert_dir: Optional[str] = None  # the context's TLS files (ca.pem, cert.pem, key.pem)
    verify_tls: bool = True

    def describe(self) -> str:
        return f"{self.host} ({self.origin})"

    def environment(self) -> dict[str, str]:
        """The environment that sends the docker CLI, kind and the pulumi-docker provider here.

        DOCKER_CONTEXT is emptied: the provider would otherwise let it override the host, and
        read the context from the account's home instead of DOCKER_CONFIG.
        """
        env = {"DOCKER_HOST": self.host, "DOCKER_CONTEXT": ""}
        if self.cert_dir:
            env["DOCKER_CERT_PATH"] = self.cert_dir
            env["DOCKER_TLS_VERIFY" if self.verify_tls else "DOCKER_TLS"] = "1"
        return env

    def provider_args(self) -> dict[str, Any]:
        """The explicit pulumi-docker provider's configuration for this daemon."""
        args: dict[str, Any] = {"host": self.host}
        if self.cert_dir:
            args["cert_path"] = self.cert_dir
        return args

    @property
    def remote_host(self) -> Optional[str]:
        """The daemon's machine for tcp:// and ssh:// endpoints that are not this one, else None."""
        url = urlparse(self.host)
        if url.scheme not in ("tcp", "ssh", "http", "https") or not url.hostname:
            return None
        return None if url.hostname in ("localhost", "127.0.0.1", "::1") else url.hostname

    def client(self, environ: Optional[Mapping[str, str]] = None) -> DockerClient:
        """A docker SDK client for this endpoint (not pinged)."""
        import docker
        import docker.utils

        ssh = self.host.startswith("ssh://")
        if self.cert_dir:
            files = Path(self.cert_dir)
            tls = docker.tls.TLSConfig(
                client_cert=(str(files / "cert.pem"), str(files / "key.pem")),
                ca_cert=str(files / "ca.pem"),
                verify=self.verify_tls,
            )
            return docker.DockerClient(base_url=self.host, tls=tls)
        if self.origin == "DOCKER_HOST":  # DOCKER_TLS_VERIFY and DOCKER_CERT_PATH apply as the CLI reads them
            kwargs = docker.utils.kwargs_from_env(environment=dict(environ if environ is not None else os.environ))
            return docker.DockerClient(**kwargs, use_ssh_client=ssh)
        return docker.DockerClient(base_url=self.host, use_ssh_client=ssh)


def docker_config_dir(environ: Mapping[str, str]) -> Path:
    """The docker CLI's config folder: $DOCKER_CONFIG, else ~/.docker ($HOME, as the CLI reads it)."""
    if environ.get("DOCKER_CONFIG"):
        return Path(environ["DOCKER_CONFIG"])
    return Path(environ.get("HOME") or Path.home()) / ".docker"


def context_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def current_context(config_dir: Path) -> Optional[str]:
    """`currentContext` of config.json (what `docker context use` writes), None when unset."""
    path = config_dir / "config.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise EndpointError(
            f"cannot read {path} ({exc}); fix or remove it (the docker CLI cannot read it either)"
        ) from None
    return (data.get("currentContext") or None) if isinstance(data, dict) else None


def context_endpoint(name: str, origin: str, config_dir: Path) -> DockerEndpoint:
    """The docker endpoint stored for context `name`."""
    meta = config_dir / "contexts" / "meta" / context_id(name) / "meta.json"
    try:
        data = json.loads(meta.read_text())
    except FileNotFoundError:
        raise EndpointError(
            f"docker context {name!r} ({origin}) does not exist in {config_dir / 'contexts'}; "
            f"`docker context ls` lists the contexts, `docker context use default` goes back to the default"
        ) from None
    except (OSError, ValueError) as exc:
        raise EndpointError(f"cannot read docker context {name!r} from {meta}: {exc}") from None
    docker_endpoint = ((data.get("Endpoints") or {}).get("docker") or {}) if isinstance(data, dict) else {}
    host = docker_endpoint.get("Host") or DEFAULT_HOST
    tls = config_dir / "contexts" / "tls" / context_id(name) / "docker"
    has_tls = all((tls / f).is_file() for f in ("ca.pem", "cert.pem", "key.pem"))
    return DockerEndpoint(
        host,
        origin,
        context=name,
        cert_dir=str(tls) if has_tls else None,
        verify_tls=not docker_endpoint.get("SkipTLSVerify", False),
    )


KIND_PROVIDER_ENV = "KIND_EXPERIMENTAL_PROVIDER"
PODMAN = "podman"
PODMAN_ORIGIN = f"Podman's API socket, for {KIND_PROVIDER_ENV}=podman"


def kind_node_runtime(environ: Mapping[str, str]) -> str:
    """What kind makes the nodes with: docker unless KIND_EXPERIMENTAL_PROVIDER says otherwise."""
    return (environ.get(KIND_PROVIDER_ENV) or "docker").strip().lower()


def podman_socket(environ: Mapping[str, str]) -> str:
    """Podman's Docker-compatible API: CONTAINER_HOST (podman's own variable), else the socket
    podman.socket serves (rootless under XDG_RUNTIME_DIR, else /run/podman)."""
    if environ.get("CONTAINER_HOST"):
        return environ["CONTAINER_HOST"]
    if os.getuid() != 0:
        runtime_dir = environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
        return f"unix://{runtime_dir}/podman/podman.sock"
    return "unix:///run/podman/podman.sock"


def resolve_endpoint(environ: Optional[Mapping[str, str]] = None) -> DockerEndpoint:
    """DOCKER_HOST, then DOCKER_CONTEXT, then `docker context use`, then the default socket.

    With KIND_EXPERIMENTAL_PROVIDER=podman kind makes the nodes with Podman, so the registry must be
    made there too: without DOCKER_HOST the endpoint is Podman's own API socket.
    """
    environ = os.environ if environ is None else environ
    runtime = kind_node_runtime(environ)
    if runtime not in ("docker", PODMAN):
        raise EndpointError(
            f"{KIND_PROVIDER_ENV}={environ[KIND_PROVIDER_ENV]}: kind would make the nodes with {runtime}, but "
            f"kindplane makes the registry through the Docker API (Docker or Podman); unset {KIND_PROVIDER_ENV} "
            f"or set it to podman"
        )
    if environ.get("DOCKER_HOST"):
        return DockerEndpoint(environ["DOCKER_HOST"], "DOCKER_HOST")
    if runtime == PODMAN:
        return DockerEndpoint(podman_socket(environ), PODMAN_ORIGIN)
    config_dir = docker_config_dir(environ)
    name, origin = environ.get("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
    if not name:
        name = current_context(config_dir)
        origin = f"docker context {name} (current in {config_dir / 'config.json'})"
    if not name or name == DEFAULT_CONTEXT:
        return DockerEndpoint(DEFAULT_HOST, "default socket")
    if origin == "DOCKER_CONTEXT":
        origin = f"docker context {name} (DOCKER_CONTEXT)"
    return context_endpoint(name, origin, config_dir)


@lru_cache(maxsize=1)
def current_endpoint() -> DockerEndpoint:
    """This process's endpoint: resolved once, so one run never switches daemons half-way."""
    return resolve_endpoint()


def docker_client(endpoint: Optional[DockerEndpoint] = None) -> DockerClient:
    """A pinged client of the run's daemon, or DockerUnavailable naming the endpoint."""
    endpoint = endpoint or current_endpoint()
    try:
        client = endpoint.client()
        client.ping()
        return client
    except Exception as exc:  # the SDK raises several types for "no daemon"
        raise DockerUnavailable(f"Docker daemon not reachable at {endpoint.describe()}: {exc}") from None


def provider_context_problem(endpoint: DockerEndpoint, environ: Mapping[str, str]) -> Optional[str]:
    """Would the pulumi-docker provider go elsewhere than `endpoint`? (`pulumi up` from a shell.)

    The provider lets DOCKER_CONTEXT override any host it is given, and reads that context from
    <account home>/.docker only (not DOCKER_CONFIG, not $HOME, no "default" context).
    """
    name = environ.get("DOCKER_CONTEXT")
    if not name:
        return None
    from .tools import account_home

    store = account_home() / ".docker"
    try:
        seen = None if name == DEFAULT_CONTEXT else context_endpoint(name, "DOCKER_CONTEXT", store).host
    except EndpointError:
        seen = None
    if seen == endpoint.host:
        return None
    found = f"finds {seen}" if seen else "cannot find it"
    return (
        f"DOCKER_CONTEXT={name} is set: the pulumi-docker provider looks that context up in {store / 'contexts'} "
        f"and {found}, while the docker CLI and kind use {endpoint.describe()}; unset DOCKER_CONTEXT and "
        f"`export DOCKER_HOST={endpoint.host}`, or run `kindplane up`, which hands every tool the same daemon"
    )
