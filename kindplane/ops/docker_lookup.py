"""Docker look-ups every part of ops shares: the client, inspecting by name, kindplane's labels.

What `up` does with a container kindplane keeps is decided in kept_container and carried out in
keeper; this module only reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..core.contract import SELF_ADDRESS
from ..core.naming import LABEL_MANAGED_BY, LABEL_OWNER, LABEL_ROLE, REGISTRY_CONTAINER_PORT
from .docker_endpoint import DockerUnavailable, docker_client  # noqa: F401 (re-exported: one client for every look-up)

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container


class AdoptionError(RuntimeError):
    """A container or volume holds a name kindplane needs and cannot be taken; the message says the fix."""


def inspect_container(client: DockerClient, name: str) -> Optional[dict]:
    import docker

    try:
        return client.api.inspect_container(name)
    except docker.errors.NotFound:
        return None


def inspect_volume(client: DockerClient, name: str) -> Optional[dict]:
    import docker

    try:
        return client.api.inspect_volume(name)
    except docker.errors.NotFound:
        return None


def exec_text(container: Container, argv: list[str]) -> tuple[int, str]:
    """Runs argv in a running container: its exit code and its stdout and stderr as text."""
    result = container.exec_run(argv, stdout=True, stderr=True)
    output = result.output if isinstance(result.output, bytes) else b""
    return (-1 if result.exit_code is None else result.exit_code), output.decode("utf-8", "replace")


def read_archive(client: DockerClient, container: str, path: str) -> Optional[dict[str, str]]:
    """Every file at `path` in the container (a file, or a folder and what is under it), through
    Docker's archive API: {name in the archive (path's last part first): text}; None when `path`
    is not there."""
    import io
    import tarfile

    import docker

    try:
        stream, _ = client.api.get_archive(container, path)
    except docker.errors.NotFound:
        return None
    found = {}
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member) if member.isfile() else None
            if data is not None:
                found[member.name] = data.read().decode("utf-8", "replace")
    return found


def read_container_file(client: DockerClient, container: str, path: str) -> Optional[str]:
    """A file's text through Docker's archive API; None when it is not there. Not `docker exec cat`:
    a busy daemon can lose the output of an exec that ends at once (an empty answer, exit 0), which
    made doctor report a file "differs (has '')" that was whole."""
    found = read_archive(client, container, path)
    return next(iter(found.values()), None) if found is not None else None


# GET /v2/ asked from inside a registry container (a mirror publishes no host port): the image's wget;
# over HTTPS too for a registry with registry.tls (busybox's wget verifies no certificate). A 401
# answers too: a registry with registry.auth is serving, it only wants the password.
SERVING_PROBE = [
    "sh",
    "-c",
    'command -v wget >/dev/null 2>&1 || { echo "wget: not found" >&2; exit 127; }; '
    f"for url in http://{SELF_ADDRESS}/v2/ https://{SELF_ADDRESS}/v2/; do "
    'said=$(wget -S -q --no-check-certificate -O /dev/null "$url" 2>&1) && exit 0; '
    'case "$said" in *" 401 "*) exit 0;; esac; done; exit 1',
]


def answers_inside(container: Container) -> Optional[bool]:
    """True: the registry answered GET /v2/; False: not (yet, or not running); None: no wget to ask with."""
    import docker

    try:
        code, output = exec_text(container, SERVING_PROBE)
    except docker.errors.APIError:  # not running, or restarting
        return False
    if code == 0:
        return True
    missing = code in (126, 127) and "wget" in output and "not found" in output.lower()
    return None if missing else False


def has_kindplane_role(attrs: dict, role: str) -> bool:
    """Made by kindplane for `role` ("registry", "mirror"): a take-over trusts nothing else."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(LABEL_MANAGED_BY) == "kindplane" and labels.get(LABEL_ROLE) == role


def is_kindplane_registry(attrs: dict) -> bool:
    return has_kindplane_role(attrs, "registry")


def is_kindplane_mirror(attrs: dict) -> bool:
    return has_kindplane_role(attrs, "mirror")


def port_bindings(attrs: dict) -> list[dict]:
    """The host bindings configured for the registry's port (HostConfig, as created)."""
    return ((attrs.get("HostConfig") or {}).get("PortBindings") or {}).get(f"{REGISTRY_CONTAINER_PORT}/tcp") or []


def owner_of(attrs: dict) -> Optional[str]:
    """The "<project>/<stack>" that created a kindplane container or volume (None: older kindplane)."""
    labels = (attrs.get("Config") or {}).get("Labels") or attrs.get("Labels") or {}
    return labels.get(LABEL_OWNER)


def is_stacks_registry(attrs: dict, owner: str) -> bool:
    """A registry container kindplane made for this stack ("<project>/<stack>")."""
    return is_kindplane_registry(attrs) and owner_of(attrs) == owner
