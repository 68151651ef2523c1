"""Read-only Docker look-ups: is a registry kept by persistent mode there to adopt?

The program runs this before building the graph, so the components stay pure wiring and the
decision is testable against a real engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .docker_endpoint import DockerUnavailable, docker_client  # noqa: F401 (re-exported: one client for every look-up)
from ..core.naming import (
    LABEL_MANAGED_BY,
    LABEL_OWNER,
    LABEL_PERSISTENT,
    LABEL_ROLE,
    REGISTRY_CONTAINER_PORT,
    REGISTRY_ENV,
    REGISTRY_DATA_PATH,
    registry_volume_name,
)

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from ..core.config import RegistryConfig


class AdoptionError(RuntimeError):
    """A container holds the registry's name but cannot be adopted; the message says the fix."""


@dataclass(frozen=True)
class KeptRegistry:
    container_id: str  # the full 64-hex ID: what Pulumi's import needs
    mismatches: tuple[str, ...]  # empty when the container matches the config
    created_persistent: bool
    volume: str  # where its images are, in words (describe_volume)


def inspect_container(client: Any, name: str) -> Optional[dict]:
    import docker

    try:
        return client.api.inspect_container(name)
    except docker.errors.NotFound:
        return None


def has_kindplane_role(attrs: dict, role: str) -> bool:
    """Made by kindplane for `role` ("registry", "mirror"): adoption trusts nothing else."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(LABEL_MANAGED_BY) == "kindplane" and labels.get(LABEL_ROLE) == role


def is_kindplane_registry(attrs: dict) -> bool:
    return has_kindplane_role(attrs, "registry")


def port_bindings(attrs: dict) -> list[dict]:
    """The host bindings configured for the registry's port (HostConfig, as created)."""
    return ((attrs.get("HostConfig") or {}).get("PortBindings") or {}).get(f"{REGISTRY_CONTAINER_PORT}/tcp") or []


def short_image_id(image_id: Optional[str]) -> str:
    return (image_id or "unknown").removeprefix("sha256:")[:12]


def registry_volumes(attrs: dict) -> list[dict]:
    """The volume mounts on the registry's data path (named or anonymous)."""
    return [
        m for m in attrs.get("Mounts") or []
        if m.get("Type") == "volume" and m.get("Destination") == REGISTRY_DATA_PATH
    ]


def _is_anonymous(mount: dict) -> bool:
    # Docker names anonymous volumes with 64 hex digits; a named volume carries its own name.
    name = mount.get("Name") or ""
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def describe_volume(attrs: dict) -> str:
    """Where the container really keeps its images, in words a user can act on."""
    mounts = registry_volumes(attrs)
    if not mounts:
        return "inside the container (no volume)"
    mount = mounts[0]
    if _is_anonymous(mount):
        return f"anonymous volume {mount['Name'][:12]} (deleted with `docker rm -v`)"
    return f"volume {mount.get('Name')!r}"


def registry_mismatches(attrs: dict, registry: RegistryConfig, image_id: Optional[str]) -> list[str]:
    """What differs between a kept container and what the config asks for."""
    found: list[str] = []
    config = attrs.get("Config") or {}
    if image_id is not None and attrs.get("Image") != image_id:
        found.append(
            f"runs image {short_image_id(attrs.get('Image'))} ({config.get('Image')}), but {registry.image} "
            f"here is now image {short_image_id(image_id)}"
        )
    bindings = port_bindings(attrs)
    wanted = [{"HostIp": registry.listen_address, "HostPort": str(registry.port)}]
    if bindings != wanted:
        shown = ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}" for b in bindings) or "nothing"
        found.append(f"publishes {shown}, config wants {registry.listen_address}:{registry.port}")
    env = set(config.get("Env") or [])
    missing = [e for e in REGISTRY_ENV if e not in env]
    if missing:
        found.append(f"lacks {', '.join(missing)} in its environment (`kindplane registry rm` needs it)")
    names = [m.get("Name") for m in registry_volumes(attrs)]
    wanted_volume = registry_volume_name(registry) if registry.persistent else None
    if wanted_volume and names != [wanted_volume]:
        found.append(f"stores images in {describe_volume(attrs)}, config wants volume {wanted_volume!r}")
    return found


def owner_of(attrs: dict) -> Optional[str]:
    """The "<project>/<stack>" that created a kindplane container or volume (None: older kindplane)."""
    labels = (attrs.get("Config") or {}).get("Labels") or attrs.get("Labels") or {}
    return labels.get(LABEL_OWNER)


def created_persistent(attrs: dict) -> bool:
    """Created retained: by the label, or (before the label existed) by its named data volume."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    if LABEL_PERSISTENT in labels:
        return labels[LABEL_PERSISTENT] == "true"
    return any(not _is_anonymous(m) for m in registry_volumes(attrs))


def _other_stack(kind: str, name: str, owner: str, you: str) -> AdoptionError:
    return AdoptionError(
        f"{kind} {name!r} belongs to kindplane stack {owner!r}, not to this stack {you!r}. To share "
        f"it, set cluster.registry.external: true (and drop port, persistent, listenAddress, image); "
        f"else give this config its own cluster.registry.name and cluster.registry.port, or remove "
        f"that stack first (`kindplane down -s {owner.split('/', 1)[-1]}`)"
    )


def find_kept_registry(registry: RegistryConfig, owner: str, client: Any = None) -> Optional[KeptRegistry]:
    """This stack's kindplane registry container of this name, if one exists.

    AdoptionError when the name is held by a foreign container or by another stack's registry,
    or when the data volume belongs to another stack.
    """
    client = client or docker_client()
    volume = inspect_volume(client, registry_volume_name(registry)) if registry.persistent else None
    if volume is not None and owner_of(volume) not in (None, owner):
        raise _other_stack("the registry volume", registry_volume_name(registry), owner_of(volume), owner)
    attrs = inspect_container(client, registry.name)
    if attrs is None:
        return None
    if not is_kindplane_registry(attrs):
        raise AdoptionError(
            f"a container named {registry.name!r} exists but was not created by kindplane "
            f"(no {LABEL_MANAGED_BY}=kindplane label); to use it as it is, set "
            f"cluster.registry.external: true; else remove it with `docker rm -f {registry.name}` "
            f"or choose another cluster.registry.name"
        )
    if owner_of(attrs) not in (None, owner):
        raise _other_stack("the registry container", registry.name, owner_of(attrs), owner)
    image_id = local_image_id(client, registry.image)
    return KeptRegistry(
        attrs["Id"], tuple(registry_mismatches(attrs, registry, image_id)),
        created_persistent(attrs), describe_volume(attrs),
    )


def inspect_volume(client: Any, name: str) -> Optional[dict]:
    import docker

    try:
        return client.api.inspect_volume(name)
    except docker.errors.NotFound:
        return None


def local_image_id(client: Any, image: str) -> Optional[str]:
    import docker

    try:
        return client.api.inspect_image(image)["Id"]
    except docker.errors.ImageNotFound:
        return None


def adoption_id(registry: RegistryConfig, owner: str, client: Any = None) -> Optional[str]:
    """The container ID to import, None to create a fresh one; AdoptionError when neither works.

    A kept container that no longer matches the config cannot be imported (the change would need
    a replacement, which Pulumi refuses while `import_` is set) nor replaced by Pulumi when it was
    retained: the retained delete is skipped and the new container meets the old one's name
    (Docker 409). That holds whether the config is persistent now or the container was created
    persistent (the retain flag Pulumi acts on is the one in the state). So those cases ask the
    user to remove the container; the images stay in the named volume.
    """
    kept = find_kept_registry(registry, owner, client)
    if kept is None:
        return None
    if not kept.mismatches:
        return kept.container_id
    if registry.persistent or kept.created_persistent:
        if registry.persistent:
            after = f"your images stay in volume {registry_volume_name(registry)!r}"
        else:
            after = f"its images are in {kept.volume}; `docker volume rm` it once you no longer need them"
        raise AdoptionError(
            f"the kept registry container {registry.name!r} no longer matches the config: "
            f"{'; '.join(kept.mismatches)}. Remove it with `docker rm -f {registry.name}` "
            f"({after}) and run up again"
        )
    # Created and kept non-persistent: Pulumi replaces it from its own state (delete first).
    return None
