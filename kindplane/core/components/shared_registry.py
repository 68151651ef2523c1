"""SharedRegistry: a running registry this stack uses (external: true) but never creates or deletes.

No Docker resource at all: nothing in this stack's state can delete the container, whoever made
it. Its ID (found by the program) re-triggers the network join when the owner recreates it.
"""

from __future__ import annotations

from typing import Optional

import pulumi

from ..config import RegistryConfig
from ..contract import SHARED_REGISTRY_TYPE
from ..naming import registry_cluster_address, registry_host_address


class SharedRegistry(pulumi.ComponentResource):
    container_id: str
    resources: list[pulumi.Resource]
    host_address: str
    cluster_address: str

    def __init__(
        self,
        name: str,
        registry: RegistryConfig,
        container_id: str,
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        super().__init__(SHARED_REGISTRY_TYPE, name, None, opts)
        self.container_id = container_id
        self.resources = []
        # `registry.port` is the port the program read from the running container.
        self.host_address = registry_host_address(registry)
        self.cluster_address = registry_cluster_address(registry)
        # down reads these back from the state: the name of the registry it leaves alone.
        self.register_outputs(
            {
                "name": registry.name,
                "containerId": container_id,
                "hostAddress": self.host_address,
                "clusterAddress": self.cluster_address,
            }
        )
