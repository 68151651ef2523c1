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
    REGISTRY_ENV,
    registry_cluster_address,
    registry_host_address,
    registry_labels,
    registry_volume_name,
    stack_owner,
)
from ..render.registry_auth import RegistryAuth, registry_auth_env
from ..render.tls import RegistryTls, registry_tls_env
from .kept_container import KeptContainer, kept_container


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
        auth: Optional[RegistryAuth] = None,
    ):
        """`container_hooks`: kindplane.ops.keeper's removal of a kept container of this name right
        before Pulumi creates the registry (kindplane.program binds it); without it, a container
        kept by an earlier `down` makes the create fail on the name. `tls` (registry.tls): serve
        HTTPS with the certificate kindplane.ops.registry.tls_material keeps in the data volume. `auth`
        (registry.auth): ask for the htpasswd file kindplane.ops.registry.auth_material keeps there."""
        super().__init__(LOCAL_REGISTRY_TYPE, name, None, opts)
        # The stack whose state will hold the container: it alone may take it over or delete it.
        labels = registry_labels(registry, owner or stack_owner(pulumi.get_project(), pulumi.get_stack()))

        self.volume, self.container = kept_container(
            name,
            KeptContainer(
                name=registry.name,
                volume=registry_volume_name(registry),
                image=registry.image,
                labels=labels,
                persistent=registry.persistent,
                network_mode="bridge",
                ports=[
                    docker.ContainerPortArgs(
                        internal=REGISTRY_CONTAINER_PORT, external=registry.port, ip=registry.listen_address
                    )
                ],
                envs=REGISTRY_ENV + (registry_tls_env(tls) if tls else []) + (registry_auth_env(auth) if auth else []),
                hooks=container_hooks,
            ),
            self,
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
