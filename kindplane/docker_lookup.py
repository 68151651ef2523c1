"""Read-only Docker look-ups: is a registry kept by persistent mode there to adopt?

The program runs this before building the graph, so the components stay pure wiring and the
decision is testable against a real engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .naming import (
    LABEL_MANAGED_BY,
    LABEL_ROLE,
    LOOPBACK,
    REGISTRY_CONTAINER_PORT,
    REGISTRY_DATA_PATH,
    REGISTRY_IMAGE,
    registry_volume_name,
)

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from .config import RegistryConfig


class AdoptionError(RuntimeError):
    """A container holds the registry's name but cannot be adopted; the message says the fix."""


class DockerUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class KeptRegistry:
    container_id: str  # the full 64-hex ID: what Pulumi's import needs
    mismatches: tuple[str, ...]  # empty when the container matches the config


def docker_client() -> Any:
    import docker  # the SDK is imported lazily: the CLI's fast paths never need it

    try:
        client = docker.from_env()
        client.ping()
        return client
    except Exception as exc:  # the SDK raises several types for "no daemon"
        raise DockerUnavailable(f"Docker daemon not reachable: {exc}") from None


def inspect_container(client: Any, name: str) -> Optional[dict]:
    import docker

    try:
        return client.api.inspect_container(name)
    except docker.errors.NotFound:
        return None


def is_kindplane_registry(attrs: dict) -> bool:
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(LABEL_MANAGED_BY) == "kindplane" and labels.get(LABEL_ROLE) == "registry"


def port_bindings(attrs: dict) -> list[dict]:
    """The host bindings configured for the registry's port (HostConfig, as created)."""
    return ((attrs.get("HostConfig") or {}).get("PortBindings") or {}).get(f"{REGISTRY_CONTAINER_PORT}/tcp") or []


def registry_mismatches(attrs: dict, registry: RegistryConfig, image_id: Optional[str]) -> list[str]:
    """What differs between a kept container and what the config asks for."""
    found: list[str] = []
    config = attrs.get("Config") or {}
    if image_id is not None and attrs.get("Image") != image_id:
        found.append(f"image is {config.get('Image')!r}, not the local {REGISTRY_IMAGE}")
    bindings = port_bindings(attrs)
    wanted = [{"HostIp": LOOPBACK, "HostPort": str(registry.port)}]
    if bindings != wanted:
        shown = ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}" for b in bindings) or "nothing"
        found.append(f"publishes {shown}, config wants {LOOPBACK}:{registry.port}")
    volumes = [
        m.get("Name") for m in attrs.get("Mounts") or []
        if m.get("Type") == "volume" and m.get("Destination") == REGISTRY_DATA_PATH
    ]
    wanted_volume = registry_volume_name(registry) if registry.persistent else None
    if wanted_volume and volumes != [wanted_volume]:
        found.append(f"stores images in {volumes[0] if volumes else 'no named volume'!r}, config wants volume {wanted_volume!r}")
    return found


def find_kept_registry(registry: RegistryConfig, client: Any = None) -> Optional[KeptRegistry]:
    """The kindplane registry container of this name, if one exists; AdoptionError if foreign."""
    client = client or docker_client()
    attrs = inspect_container(client, registry.name)
    if attrs is None:
        return None
    if not is_kindplane_registry(attrs):
        raise AdoptionError(
            f"a container named {registry.name!r} exists but was not created by kindplane "
            f"(no {LABEL_MANAGED_BY}=kindplane label); remove it with `docker rm -f {registry.name}` "
            f"or choose another cluster.registry.name"
        )
    image_id = _local_image_id(client)
    return KeptRegistry(attrs["Id"], tuple(registry_mismatches(attrs, registry, image_id)))


def _local_image_id(client: Any) -> Optional[str]:
    import docker

    try:
        return client.api.inspect_image(REGISTRY_IMAGE)["Id"]
    except docker.errors.ImageNotFound:
        return None


def adoption_id(registry: RegistryConfig, client: Any = None) -> Optional[str]:
    """The container ID to import, None to create a fresh one; AdoptionError when neither works.

    A kept container that no longer matches the config cannot be imported (the change would need
    a replacement, which Pulumi refuses while `import_` is set) nor replaced by Pulumi when it is
    retained (the new container would clash with the kept one's name). Persistent mode therefore
    asks the user to remove the container: the images live in the volume, which is kept.
    """
    kept = find_kept_registry(registry, client)
    if kept is None:
        return None
    if not kept.mismatches:
        return kept.container_id
    if registry.persistent:
        volume = registry_volume_name(registry)
        raise AdoptionError(
            f"the kept registry container {registry.name!r} no longer matches the config: "
            f"{'; '.join(kept.mismatches)}. Remove it with `docker rm -f {registry.name}` "
            f"(your images stay in volume {volume!r}) and run up again"
        )
    # Not persistent: if it is this stack's container Pulumi replaces it from its own state.
    return None
