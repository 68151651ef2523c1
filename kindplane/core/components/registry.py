"""LocalRegistry: the registry container (`registry:2` by default) on <listenAddress>:<port>, optionally kept on destroy."""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_docker as docker

from ..config import RegistryConfig
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


# The bridged Container never reads these back after an import, so they would look changed and
# force a replacement (an error while `import_` is set). Adoption only happens after
# docker_lookup has checked that the kept container matches them, so ignoring them is safe.
# A retained (persistent) container gets the same list on every run, adopted this time or in an
# earlier one: Pulumi can never replace it (the retained delete is skipped, the new container
# meets its name), so docker_lookup compares these fields itself and asks for `docker rm -f`.
ADOPTED_IGNORE_CHANGES = ["image", "labels", "volumes", "ports", "envs"]


class LocalRegistry(pulumi.ComponentResource):
    container: docker.Container
    volume: Optional[docker.Volume]
    container_id: pulumi.Input[str]
    resources: list[pulumi.Resource]  # what the wiring waits for
    host_address: str
    cluster_address: str

    def __init__(
        self,
        name: str,
        registry: RegistryConfig,
        owner: Optional[str] = None,
        adopt_container_id: Optional[str] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        super().__init__("kindplane:index:LocalRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        persistent = registry.persistent
        # The stack whose state will hold the container: it alone may adopt or delete it.
        labels = registry_labels(registry, owner or stack_owner(pulumi.get_project(), pulumi.get_stack()))

        # Looks for a local image first; keep_locally so destroy never removes a shared image.
        image = docker.RemoteImage(
            f"{name}-image", name=registry.image, keep_locally=True, opts=child
        )

        self.volume = None
        volumes = []
        if persistent:
            # Images live here; retained on destroy, and `docker volume create` of an existing
            # name returns it, so the next up picks the kept images up again.
            self.volume = docker.Volume(
                f"{name}-data",
                name=registry_volume_name(registry),
                labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in labels.items()],
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            volumes = [
                docker.ContainerVolumeArgs(
                    volume_name=self.volume.name, container_path=REGISTRY_DATA_PATH
                )
            ]

        adopting = adopt_container_id is not None
        if adopting and persistent:
            # A kept registry is read, not imported: the docker provider never reads `env` back
            # and marks it computed + force-new, so an import of the kept container always plans
            # a replacement, which Pulumi refuses for an import (found under the real engine).
            # Read, it stays outside the state's delete path: destroy keeps it, as persistent
            # asks; docker_lookup has checked that it matches the config.
            self.container = docker.Container.get(
                f"{name}-container", adopt_container_id, opts=pulumi.ResourceOptions(parent=self)
            )
        else:
            self.container = self._managed_container(
                name, registry, image, volumes, labels, persistent, adopt_container_id
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

    def _managed_container(self, name, registry, image, volumes, labels, persistent, adopt_container_id):
        adopting = adopt_container_id is not None
        return docker.Container(
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
            envs=REGISTRY_ENV,
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in labels.items()],
            volumes=volumes,
            opts=pulumi.ResourceOptions(
                parent=self,
                # Fixed name and port: the old container must be gone before the new one starts.
                delete_before_replace=True,
                retain_on_delete=persistent,
                import_=adopt_container_id,
                ignore_changes=ADOPTED_IGNORE_CHANGES if adopting or persistent else None,
            ),
        )
