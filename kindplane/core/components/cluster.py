"""KindCluster: `kind create cluster` / `kind delete cluster` as one command resource."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_command as command

from ..config import ClusterConfig
from ..contract import CLUSTER_TYPE
from ..naming import KIND_NETWORK, node_names
from ..render import commands
from ..render.drift import NO_REPAIRS, Repairs
from ..render.kind_config import kind_config_yaml


class KindCluster(pulumi.ComponentResource):
    cluster: command.local.Command
    kubeconfig: pulumi.Output[str]
    cluster_name: str
    node_names: list[str]

    def __init__(
        self,
        name: str,
        cluster: ClusterConfig,
        network: str = KIND_NETWORK,
        repairs: Repairs = NO_REPAIRS,
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        """`repairs`: kindplane.program's read-back of what an earlier up made (core.render.drift)."""
        super().__init__(CLUSTER_TYPE, name, None, opts)
        config_text = kind_config_yaml(cluster)
        drift = repairs.drift
        self.cluster = command.local.Command(
            f"{name}-kind",
            create=commands.kind_create(cluster),
            # An in-place update (any non-trigger input changed, e.g. a newer kindplane's command
            # text) reruns this instead of `create`: the cluster this stack made already exists.
            update=commands.kind_create_if_missing(cluster),
            delete=commands.kind_delete(cluster),
            stdin=config_text,
            # kind cannot change a running cluster: any change to the config means a new one. kind
            # puts the nodes on KIND_EXPERIMENTAL_DOCKER_NETWORK only at create, so another network
            # means a new cluster too (the default one is left out: existing states keep their
            # triggers).
            # A node removed by hand cannot be put back into a running cluster: a new cluster.
            triggers=[
                cluster.name,
                config_text,
                *([network] if network != KIND_NETWORK else []),
                *repairs.triggers(f"{name}-kind", bool(drift.missing_nodes)),
            ],
            # The name is fixed, so the old cluster has to go before the new one is created.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        # A separate read so the kubeconfig is fetched again whenever the cluster is replaced.
        reader = command.local.Command(
            f"{name}-kubeconfig",
            create=commands.kind_kubeconfig(cluster),
            triggers=[self.cluster.id],
            # The cluster was made again outside kindplane: read its new kubeconfig.
            environment=repairs.environment(f"{name}-kubeconfig", drift.api_server_moved is not None),
            # pulumi-command logs stdout by default: that would print the admin client key.
            logging=command.local.Logging.NONE,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster], additional_secret_outputs=["stdout"]),
        )
        self.kubeconfig = pulumi.Output.secret(reader.stdout)
        self.cluster_name = cluster.name
        self.node_names = node_names(cluster)
        self.register_outputs({"name": cluster.name, "nodeNames": self.node_names, "kubeconfig": self.kubeconfig})
