"""The recipe every container kindplane keeps shares: the local registry and each pull-through
mirror (kindplane.ops.keeper decides what `up` does with them; this is what Pulumi holds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_docker as docker

from ..naming import REGISTRY_DATA_PATH
from .data_volume import data_volume


@dataclass(frozen=True)
class KeptContainer:
    """What differs between a registry and a mirror; the rest is the recipe."""

    name: str  # the container name (its data lives in the volume `volume`)
    volume: str
    image: str
    labels: Mapping[str, str]
    persistent: bool
    network_mode: str
    ports: Sequence[docker.ContainerPortArgs]
    envs: pulumi.Input[Sequence[str]]
    hooks: Optional[pulumi.ResourceHookBinding] = None
    depends_on: Sequence[pulumi.Resource] = ()
    secret_outputs: Optional[list[str]] = None
    extra: Optional[Mapping[str, Any]] = None  # the mirror's entrypoint, DNS options, uploads


def kept_container(
    resource: str, spec: KeptContainer, parent: pulumi.Resource
) -> tuple[docker.Volume, docker.Container]:
    """`<resource>-image`, `<resource>-data` and `<resource>-container` under `parent`: the image
    looked up locally first and never removed (keep_locally: destroy must not delete a shared
    image), the data in its named volume, restarted always, kept by `down` when persistent (the
    container and the volume), and a fixed name — so the old container goes before the new one."""
    image = docker.RemoteImage(
        f"{resource}-image", name=spec.image, keep_locally=True, opts=pulumi.ResourceOptions(parent=parent)
    )
    volume = data_volume(f"{resource}-data", spec.volume, spec.labels, spec.persistent, parent)
    container = docker.Container(
        f"{resource}-container",
        name=spec.name,
        image=image.image_id,
        restart="always",
        must_run=True,
        network_mode=spec.network_mode,
        ports=list(spec.ports),
        envs=spec.envs,
        labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in spec.labels.items()],
        volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path=REGISTRY_DATA_PATH)],
        **dict(spec.extra or {}),
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(spec.depends_on) or None,
            delete_before_replace=True,  # fixed name (and the registry's fixed port)
            retain_on_delete=spec.persistent,
            additional_secret_outputs=spec.secret_outputs,
            hooks=spec.hooks,
        ),
    )
    return volume, container
