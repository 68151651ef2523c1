"""LocalRegistry: the registry container (`registry:2` by default) on <listenAddress>:<port>, its images in
the named volume `<name>-data`; both kept on destroy when persistent."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_docker as docker

from ..config import RegistryConfig
from ..contract import LOCAL_REGISTRY_TYPE
from ..naming import (
    REGISTRY_CONTAINER_PORT,
    REGISTRY_DATA_PATH,
    REGISTRY_ENV,
    registry_cluster_address,
    registry_host_address,
    registry_labels,
    registry_volume_name,
    stack_owner,
)
from ..render.tls import RegistryTls, registry_tls_env
from .data_volume import data_volume


class LocalRegistry(pulumi.ComponentResource):
    container: docker.Container
    volume: docker.Volume
    container_id: pulumi.Input[str]
    resources: list[pulumi.Resource]  # what the wiring waits for
    host_address: str
    cluster_address: str

    def __init__(
        self,
        name: str,
        registry: RegistryConfig,
        owner: Optional[str] = None,
        container_hooks: Optional[pulumi.ResourceHookBinding] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
        tls: Optional[RegistryTls] = None,
    ):
        """`container_hooks`: kindplane.ops.keeper's removal of a kept container of this name right
        before Pulumi creates the registry (kindplane.program binds it); without it, a container
        kept by an earlier `down` makes the create fail on the name. `tls` (registry.tls): serve
        HTTPS with the certificate kindplane.ops.registry.tls_material keeps in the data volume."""
        super().__init__(LOCAL_REGISTRY_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The stack whose state will hold the container: it alone may take it over or delete it.
        labels = registry_labels(registry, owner or stack_owner(pulumi.get_project(), pulumi.get_stack()))

        # Looks for a local image first; keep_locally so destroy never removes a shared image.
        image = docker.RemoteImage(f"{name}-image", name=registry.image, keep_locally=True, opts=child)
        self.volume = data_volume(f"{name}-data", registry_volume_name(registry), labels, registry.persistent, self)
        self.container = docker.Container(
            f"{name}-container",
            name=registry.name,
            image=image.image_id,
            restart="always",
            must_run=True,
            network_mode="bridge",
            ports=[
                docker.ContainerPortArgs(
                    internal=REGISTRY_CONTAINER_PORT, external=registry.port, ip=registry.listen_address
                )
            ],
            envs=REGISTRY_ENV + (registry_tls_env(tls) if tls else []),
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in labels.items()],
            volumes=[docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path=REGISTRY_DATA_PATH)],
            opts=pulumi.ResourceOptions(
                parent=self,
                # Fixed name and port: the old container must be gone before the new one starts.
                delete_before_replace=True,
                retain_on_delete=registry.persistent,
                hooks=container_hooks,
            ),
        )
        self.container_id = self.container.id
        self.resources = [self.container]
        self.host_address = registry_host_address(registry)
        self.cluster_address = registry_cluster_address(registry)
        self.register_outputs(
            {
                "containerId": self.container.id,
                "hostAddress": self.host_address,
                "clusterAddress": self.cluster_address,
            }
        )
