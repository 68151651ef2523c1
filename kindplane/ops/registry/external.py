"""`cluster.registry.external: true`: find the running registry this stack uses but never owns.

The registry may be another kindplane stack's, or one made by kind's registry script or ctlptl
(`docker run -d --restart=always -p "127.0.0.1:5001:5000" --network bridge --name kind-registry
registry:2`). Its host port is read from Docker, so hosts.toml and the ConfigMap always name the
port the registry really publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ...core.naming import REGISTRY_CONTAINER_PORT
from ..docker_lookup import (
    AdoptionError,
    docker_client,
    inspect_container,
    is_kindplane_registry,
    is_stacks_registry,
    owner_of,
    port_bindings,
)

if TYPE_CHECKING:
    from docker import DockerClient

    from ...core.config import KindplaneConfig, RegistryConfig


@dataclass(frozen=True)
class SharedRegistryFound:
    container_id: str
    port: int  # the host port published for the registry's 5000/tcp
    owner: Optional[str]  # the kindplane stack that owns it; None for kind's script, ctlptl, …


def published_host_port(attrs: dict) -> Optional[int]:
    """The host port of 5000/tcp: what Docker bound (running), else what it was created with."""
    live = ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{REGISTRY_CONTAINER_PORT}/tcp") or []
    for binding in [*live, *port_bindings(attrs)]:
        port = str(binding.get("HostPort") or "")
        if port.isdigit() and 0 < int(port) <= 65535:
            return int(port)
    return None


def shared_registry_from(attrs: Optional[dict], registry: RegistryConfig, owner: str) -> SharedRegistryFound:
    """The checks on an inspected container; AdoptionError with the fix when it cannot be used."""
    name = registry.name
    if attrs is None:
        raise AdoptionError(
            f"cluster.registry.external is true, but no container named {name!r} exists; start the "
            f"registry first (`kindplane up` of the stack that owns it, or kind's registry script), "
            f"or set external: false to let this stack create it"
        )
    if is_stacks_registry(attrs, owner):
        raise AdoptionError(
            f"cluster.registry.external is true, but {name!r} is this stack's own registry ({owner}); "
            f"set external: false, or give the registry to another stack first"
        )
    state = (attrs.get("State") or {}).get("Status") or "unknown"
    if state != "running":
        raise AdoptionError(
            f"the external registry container {name!r} is {state}, not running; start it with "
            f"`docker start {name}` and run up again"
        )
    port = published_host_port(attrs)
    if port is None:
        raise AdoptionError(
            f"the external registry container {name!r} publishes no host port for "
            f"{REGISTRY_CONTAINER_PORT}/tcp, so nothing on the host can push to it; recreate it with "
            f"`-p 127.0.0.1:<port>:{REGISTRY_CONTAINER_PORT}`"
        )
    managed = owner_of(attrs) if is_kindplane_registry(attrs) else None
    return SharedRegistryFound(attrs["Id"], port, managed)


def find_shared_registry(
    registry: RegistryConfig, owner: str, client: Optional[DockerClient] = None
) -> SharedRegistryFound:
    client = client or docker_client()
    return shared_registry_from(inspect_container(client, registry.name), registry, owner)


def with_registry_port(config: KindplaneConfig, port: int) -> KindplaneConfig:
    """The config with the port the external registry really publishes (hosts.toml, ConfigMap)."""
    registry = config.cluster.registry.model_copy(update={"port": port})
    cluster = config.cluster.model_copy(update={"registry": registry})
    return config.model_copy(update={"cluster": cluster})


def with_live_port(
    config: KindplaneConfig, found: Optional[SharedRegistryFound] = None, client: Optional[DockerClient] = None
) -> KindplaneConfig:
    """The config as the registry really serves: for `external: true`, the port it publishes now.

    The one source of the registry's live address — the program (hosts.toml, the ConfigMap, the
    outputs) and the CLI (`registry …`, `status`, `doctor`) all read it as
    registry_host_address(with_live_port(config).cluster.registry). `found` is the program's own
    look-up (it also needs the container ID); without it the registry is looked up here.
    AdoptionError (missing, stopped, unpublished) and DockerUnavailable are the caller's to report.
    """
    registry = config.cluster.registry
    if not (registry.enabled and registry.external):
        return config
    found = found or find_shared_registry(registry, owner="", client=client)  # "": no stack is the owner here
    return with_registry_port(config, found.port)
