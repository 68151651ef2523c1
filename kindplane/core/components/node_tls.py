"""NodeTls: on every node, the trusted CA bundle with `_default/hosts.toml`, each
cluster.registries entry's hosts.toml, CA, client certificate and key, and the kubelet's
credentials file — one write per node (core.render.tls says what and why there)."""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi
import pulumi_command as command

from ..config import ClusterConfig
from ..config.tls_files import TlsFiles
from ..contract import NODE_TLS_TYPE
from ..render import commands
from ..render.drift import NO_REPAIRS, Repairs
from ..render.tls import (
    KUBELET_CONFIG_JSON,
    NodeFile,
    archive,
    folders_of,
    kubelet_config_json,
    node_tls_dirs,
    node_tls_files,
)
from .cluster import KindCluster

# host → (user name, password), Pulumi secrets read from the variables cluster.registries names.
RegistryCredentials = Mapping[str, tuple[pulumi.Input[str], pulumi.Input[str]]]


class NodeTls(pulumi.ComponentResource):
    writes: list[command.local.Command]

    def __init__(
        self,
        name: str,
        cluster_config: ClusterConfig,
        cluster: KindCluster,
        files: TlsFiles,
        credentials: Optional[RegistryCredentials] = None,
        repairs: Repairs = NO_REPAIRS,
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        """`files`: what the TLS keys name, read (core.config.tls_files.read_tls_files);
        `credentials`: for each entry with usernameEnv/passwordEnv (kindplane.program reads them)."""
        super().__init__(NODE_TLS_TYPE, name, None, opts)
        wanted = node_tls_files(cluster_config, files)
        credentials = credentials or {}
        missing = [r.host for r in cluster_config.registries if r.credentials_env and r.host not in credentials]
        if missing:
            raise ValueError(f"cluster.registries {missing} name credentials variables: pass credentials")
        paths = sorted(wanted) + ([KUBELET_CONFIG_JSON] if credentials else [])
        owned = node_tls_dirs(cluster_config) + ([KUBELET_CONFIG_JSON] if credentials else [])
        stdin = _stdin(wanted, credentials)
        drift, folders = repairs.drift, folders_of(sorted(wanted))
        self.writes = [
            command.local.Command(
                f"{name}-{node}",
                create=commands.write_archive(node, folders_of(paths)),
                delete=commands.remove_paths(node, owned),
                stdin=stdin,
                # A new cluster's nodes have none of it; another set of files (a registries entry
                # added or removed) replaces the write, whose delete removes the old ones first. A
                # changed certificate is a changed stdin: the write runs again on every node.
                triggers=[cluster.cluster.id, *paths],
                environment=repairs.environment(f"{name}-{node}", drift.hosts_drifted(node, folders)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster.cluster], delete_before_replace=True),
            )
            for node in cluster.node_names
        ]
        self.register_outputs({})


def _stdin(wanted: dict[str, NodeFile], credentials: RegistryCredentials) -> pulumi.Input[str]:
    secret = credentials or any(f.secret for f in wanted.values())
    if not credentials:
        text = archive(wanted)
        return pulumi.Output.secret(text) if secret else text
    hosts = sorted(credentials)
    values = [v for host in hosts for v in credentials[host]]

    def with_credentials(resolved: list[str]) -> str:
        pairs = {host: (resolved[2 * i], resolved[2 * i + 1]) for i, host in enumerate(hosts)}
        return archive({**wanted, KUBELET_CONFIG_JSON: NodeFile(kubelet_config_json(pairs), 0o600, True)})

    return pulumi.Output.secret(pulumi.Output.all(*values).apply(with_credentials))
