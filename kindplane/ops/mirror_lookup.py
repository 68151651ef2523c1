"""Read-only look-up of a kept mirror container to adopt, with the local registry's ownership rules.

A persistent mirror is retained on destroy; the next up finds it here by name and adopts it when
it carries kindplane's mirror labels for this stack and still matches the config.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..core.naming import LABEL_MANAGED_BY, LABEL_ROLE, LOOPBACK, mirror_volume_name
from ..core.render.mirror import PROXY_REMOTE_URL
from .docker_lookup import (
    AdoptionError,
    created_persistent,
    describe_volume,
    docker_client,
    has_kindplane_role,
    inspect_container,
    inspect_volume,
    local_image_id,
    owner_of,
    port_bindings,
    registry_volumes,
    short_image_id,
)

if TYPE_CHECKING:
    from ..core.config import MirrorConfig


def is_kindplane_mirror(attrs: dict) -> bool:
    return has_kindplane_role(attrs, "mirror")


def mirror_mismatches(attrs: dict, mirror: MirrorConfig, image_id: Optional[str]) -> list[str]:
    """What differs between a kept mirror container and what the config asks for."""
    found: list[str] = []
    config = attrs.get("Config") or {}
    if image_id is not None and attrs.get("Image") != image_id:
        found.append(f"runs image {short_image_id(attrs.get('Image'))}, but {mirror.image} here is now image {short_image_id(image_id)}")
    remote = next((e.split("=", 1)[1] for e in config.get("Env") or [] if e.startswith(f"{PROXY_REMOTE_URL}=")), None)
    if remote != mirror.remote:
        found.append(f"caches {remote or 'nothing'}, config wants {mirror.remote}")
    wanted = [] if mirror.host_port is None else [{"HostIp": LOOPBACK, "HostPort": str(mirror.host_port)}]
    if port_bindings(attrs) != wanted:
        shown = ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}" for b in port_bindings(attrs)) or "nothing"
        found.append(f"publishes {shown}, config wants {f'{LOOPBACK}:{mirror.host_port}' if wanted else 'no host port'}")
    names = [m.get("Name") for m in registry_volumes(attrs)]
    if mirror.persistent and names != [mirror_volume_name(mirror)]:
        found.append(f"stores its cache in {describe_volume(attrs)}, config wants volume {mirror_volume_name(mirror)!r}")
    return found


def _other_stack(kind: str, name: str, owner: str, you: str, key: str) -> AdoptionError:
    return AdoptionError(
        f"{kind} {name!r} belongs to kindplane stack {owner!r}, not to this stack {you!r}. Give "
        f"this config its own {key}, or remove that stack first "
        f"(`kindplane down -s {owner.split('/', 1)[-1]}`)"
    )


def mirror_adoption_id(mirror: MirrorConfig, owner: str, key: str, client: Any = None) -> Optional[str]:
    """The container ID to adopt, None to create one; AdoptionError when neither is safe.

    `key` is the config path of the mirror's name (cluster.mirrors[i].name), for messages.
    """
    client = client or docker_client()
    volume = inspect_volume(client, mirror_volume_name(mirror)) if mirror.persistent else None
    if volume is not None and owner_of(volume) not in (None, owner):
        raise _other_stack("the mirror volume", mirror_volume_name(mirror), owner_of(volume), owner, key)
    attrs = inspect_container(client, mirror.name)
    if attrs is None:
        return None
    if not is_kindplane_mirror(attrs):
        raise AdoptionError(
            f"a container named {mirror.name!r} exists but is not a kindplane mirror (no "
            f"{LABEL_MANAGED_BY}=kindplane, {LABEL_ROLE}=mirror labels); remove it with "
            f"`docker rm -f {mirror.name}` or set another {key}"
        )
    if owner_of(attrs) not in (None, owner):
        raise _other_stack("the mirror container", mirror.name, owner_of(attrs), owner, key)
    mismatches = mirror_mismatches(attrs, mirror, local_image_id(client, mirror.image))
    if not mismatches:
        return attrs["Id"]
    if mirror.persistent or created_persistent(attrs):
        raise AdoptionError(
            f"the kept mirror container {mirror.name!r} no longer matches the config: "
            f"{'; '.join(mismatches)}. Remove it with `docker rm -f {mirror.name}` (the cache is "
            f"in {describe_volume(attrs)}) and run up again"
        )
    return None  # kept non-persistent: Pulumi replaces it from its own state
