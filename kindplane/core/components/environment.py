"""Environment: the whole resource graph for one kindplane.yaml."""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi

from ..config import KindplaneConfig
from ..config.tls_files import NO_TLS_FILES, TlsFiles
from ..contract import ENVIRONMENT_TYPE
from ..naming import KIND_NETWORK, stack_owner
from ..render.drift import NO_REPAIRS, Repairs
from ..render.registry_auth import RegistryAuth
from ..render.tls import RegistryTls
from .cluster import KindCluster
from .mirror import Credentials, PullThroughMirror
from .node_tls import NodeTls, RegistryCredentials
from .registry import LocalRegistry
from .shared_registry import SharedRegistry
from .wiring import RegistryWiring


def spec_needs_tls(config: KindplaneConfig) -> bool:
    registry = config.cluster.registry
    return registry.enabled and registry.tls and not registry.external


class Environment(pulumi.ComponentResource):
    cluster: KindCluster
    registry: Optional[LocalRegistry | SharedRegistry]
    wiring: Optional[RegistryWiring]
    mirrors: list[PullThroughMirror]
    node_tls: Optional[NodeTls]
    registry_ca: Optional[str]

    def __init__(
        self,
        name: str,
        config: KindplaneConfig,
        owner: Optional[str] = None,
        kept_hooks: Optional[Mapping[str, pulumi.ResourceHookBinding]] = None,
        network: str = KIND_NETWORK,
        shared_registry_id: Optional[str] = None,
        mirror_credentials: Optional[Mapping[str, Credentials]] = None,
        repairs: Repairs = NO_REPAIRS,
        opts: Optional[pulumi.ResourceOptions] = None,
        tls_files: TlsFiles = NO_TLS_FILES,
        registry_credentials: Optional[RegistryCredentials] = None,
        registry_tls: Optional[RegistryTls] = None,
        registry_auth: Optional[RegistryAuth] = None,
    ):
        """`kept_hooks`: container name → the hooks kindplane.ops.keeper made for it (the registry's
        and each mirror's), which let a kept container be taken back; kindplane.program passes them.
        `tls_files`: the certificates cluster.trustedCAs and cluster.registries name, read
        (core.config.tls_files.read_tls_files); `registry_credentials`: host → (user, password);
        `registry_tls`: with registry.tls, the CA and certificate kindplane.ops.registry.tls_material keeps;
        `registry_auth`: with registry.auth, the credentials and the htpasswd line
        kindplane.ops.registry.auth_material keeps."""
        if spec_needs_tls(config) and registry_tls is None:
            raise ValueError(
                "cluster.registry.tls is true: pass registry_tls (kindplane.ops.registry.tls_material."
                "registry_tls reads or makes it in the registry's volume)"
            )
        if config.cluster.registry.enabled and config.cluster.registry.auth and registry_auth is None:
            raise ValueError(
                "cluster.registry.auth is set: pass registry_auth (kindplane.ops.registry.auth_material."
                "registry_auth reads or makes the htpasswd file in the registry's volume)"
            )
        super().__init__(ENVIRONMENT_TYPE, name, None, opts)
        hooks = kept_hooks or {}
        spec = config.cluster
        child = pulumi.ResourceOptions(parent=self)
        self.registry = None
        self.wiring = None
        if spec.registry.enabled and spec.registry.external:
            if shared_registry_id is None:
                # core never touches Docker: kindplane.program looks the registry up first.
                raise ValueError(
                    "cluster.registry.external is true: pass shared_registry_id (the running registry's "
                    "container ID) and a config carrying its port; kindplane.ops.registry.external."
                    "find_shared_registry and with_registry_port give both"
                )
            self.registry = SharedRegistry(f"{name}-registry", spec.registry, shared_registry_id, opts=child)
        elif spec.registry.enabled:
            # Created first: kind nodes should find it as soon as they start pulling.
            self.registry = LocalRegistry(
                f"{name}-registry",
                spec.registry,
                owner,
                hooks.get(spec.registry.name),
                opts=child,
                tls=registry_tls,
                auth=registry_auth,
            )
        self.cluster = KindCluster(f"{name}-cluster", spec, network, repairs, opts=child)
        if self.registry is not None:
            self.wiring = RegistryWiring(
                f"{name}-wiring",
                spec,
                self.cluster,
                self.registry,
                network,
                repairs,
                opts=child,
                registry_ca=registry_tls.ca_pem if registry_tls else None,
                authorization=registry_auth.authorization if registry_auth else None,
            )
        owner = owner or stack_owner(pulumi.get_project(), pulumi.get_stack())
        self.mirrors = [
            PullThroughMirror(
                f"{name}-mirror-{mirror.name}",
                mirror,
                self.cluster,
                owner,
                network,
                (mirror_credentials or {}).get(mirror.name),
                hooks.get(mirror.name),
                repairs,
                opts=child,
                trusted_bundle=tls_files.trusted_bundle if spec.trusted_cas else None,
            )
            for mirror in spec.mirrors
        ]
        self.node_tls = (
            NodeTls(f"{name}-tls", spec, self.cluster, tls_files, registry_credentials, repairs, opts=child)
            if spec.trusted_cas or spec.registries
            else None
        )
        self.registry_ca = registry_tls.ca_pem if registry_tls else None
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, object]:
        """The stack outputs: what a user needs to reach the cluster and the registry."""
        out: dict[str, object] = {
            "clusterName": self.cluster.cluster_name,
            "nodeNames": self.cluster.node_names,
            "kubeconfig": self.cluster.kubeconfig,
        }
        if self.registry is not None:
            out["registryHost"] = self.registry.host_address
            out["registryClusterAddress"] = self.registry.cluster_address
        if self.registry_ca:
            out["registryCA"] = self.registry_ca
        if self.mirrors:
            out["mirrors"] = {m.host: m.cluster_address for m in self.mirrors}
        return out
