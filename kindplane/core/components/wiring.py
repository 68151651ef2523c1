"""RegistryWiring: what makes the nodes use the registry — hosts.toml, network, discovery."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_command as command
import pulumi_kubernetes as k8s

from ..config import ClusterConfig
from ..contract import WIRING_TYPE
from ..naming import KIND_NETWORK
from ..render import commands
from ..render.containerd import hosts_dirs, hosts_toml, registry_ca_path
from ..render.discovery import CONFIGMAP_ANNOTATIONS, CONFIGMAP_NAME, CONFIGMAP_NAMESPACE, local_registry_hosting
from ..render.drift import NO_REPAIRS, REPAIR_ANNOTATION, Repairs
from ..render.tls import NodeFile, archive
from .cluster import KindCluster
from .registry import LocalRegistry
from .shared_registry import SharedRegistry


def upsert_existing_objects() -> dict[str, bool]:
    """If a refresh ever dropped the ConfigMap from the state while the API server was down,
    the next up must take the existing object over instead of failing "already exists".

    pulumi-kubernetes >= 4.29 refuses that unless the provider sets upsert_existing_objects;
    older v4 releases (server-side apply) upsert on create by themselves and lack the option.
    """
    return {"upsert_existing_objects": True} if hasattr(k8s.ProviderArgs, "upsert_existing_objects") else {}


def _secret_if(secret: bool, text: str) -> pulumi.Input[str]:
    return pulumi.Output.secret(text) if secret else text


class RegistryWiring(pulumi.ComponentResource):
    hosts_toml_writes: list[command.local.Command]
    network_join: command.local.Command
    provider: k8s.Provider
    config_map: k8s.core.v1.ConfigMap

    def __init__(
        self,
        name: str,
        cluster_config: ClusterConfig,
        cluster: KindCluster,
        registry: LocalRegistry | SharedRegistry,
        network: str = KIND_NETWORK,
        repairs: Repairs = NO_REPAIRS,
        opts: Optional[pulumi.ResourceOptions] = None,
        registry_ca: Optional[str] = None,
        authorization: Optional[str] = None,
    ):
        """`repairs`: what an earlier up wrote that is gone now (core.render.drift) is written again.
        `registry_ca`: the HTTPS registry's CA (registry.tls), written beside its hosts.toml;
        `authorization`: the header hosts.toml sends (registry.auth), a secret in the state."""
        super().__init__(WIRING_TYPE, name, None, opts)
        spec = cluster_config.registry
        after_both = [cluster.cluster, *registry.resources]
        content = hosts_toml(spec, authorization)
        drift = repairs.drift

        # With tls, the hosts.toml files and the CA they name go together, as one archive.
        files = {f"{d}/hosts.toml": NodeFile(content) for d in hosts_dirs(spec)}
        files.update({registry_ca_path(spec): NodeFile(registry_ca)} if registry_ca else {})
        # One write per node and no chain between them: they run in parallel.
        self.hosts_toml_writes = [
            command.local.Command(
                f"{name}-hosts-{node}",
                create=commands.write_archive(node, hosts_dirs(spec))
                if registry_ca
                else commands.write_hosts_toml(node, spec),
                delete=commands.remove_hosts_toml(node, spec),
                stdin=_secret_if(bool(authorization), archive(files) if registry_ca else content),
                # A new cluster has fresh nodes without the file: write it again. New directories
                # (registry port or name changed) replace the write, so the old delete removes the
                # old directories first instead of leaving a stale mirror behind.
                triggers=[cluster.cluster.id, *hosts_dirs(spec)],
                environment=repairs.environment(f"{name}-hosts-{node}", drift.hosts_drifted(node, hosts_dirs(spec))),
                opts=pulumi.ResourceOptions(parent=self, depends_on=after_both, delete_before_replace=True),
            )
            for node in cluster.node_names
        ]
        self.network_join = command.local.Command(
            f"{name}-network",
            create=commands.join_kind_network(spec.name, network),
            # A new registry container starts on the bridge only: join it again. No delete: the
            # registry stays on the network, as kind's script leaves it (other clusters may use it).
            triggers=[registry.container_id],
            environment=repairs.environment(f"{name}-network", spec.name in drift.off_network),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after_both),
        )
        # delete_unreachable: destroy still succeeds when the cluster was deleted by hand.
        settings: dict[str, Any] = {
            "kubeconfig": cluster.kubeconfig,
            "delete_unreachable": True,
            **upsert_existing_objects(),
        }
        self.provider = k8s.Provider(
            f"{name}-k8s", opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster.cluster]), **settings
        )
        configmap = f"{name}-local-registry-hosting"
        # Deleted or edited by hand: written anew. A replacement, not an update (the provider's
        # update reads the object first and fails on a missing one); the annotation keeps the count
        # in the state, where the next run reads it back.
        repaired = repairs.annotations(configmap, bool(drift.configmap))
        annotations = {**CONFIGMAP_ANNOTATIONS, **repaired}
        self.config_map = k8s.core.v1.ConfigMap(
            configmap,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CONFIGMAP_NAME, namespace=CONFIGMAP_NAMESPACE, annotations=annotations
            ),
            data=local_registry_hosting(spec),
            # The ConfigMap lives in the cluster: when the cluster goes (destroy, or a rename or
            # config change that replaces it), it goes with it and no API call is made. Under the
            # real engine, deleting it through the replaced provider failed ("grpc: the client
            # connection is closing") and stopped the update.
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=self.provider,
                deleted_with=cluster.cluster,
                replace_on_changes=[f'metadata.annotations["{REPAIR_ANNOTATION}"]'],
                delete_before_replace=True,  # one name: a create first would be deleted by the old delete
            ),
        )
        self.register_outputs({"configMap": self.config_map.metadata})
