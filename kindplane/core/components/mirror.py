"""PullThroughMirror: a registry proxy cache (`registry:2` by default) on the kind network (its cache in
the named volume `<name>-data`), and every node's hosts.toml sending pulls of its host through it."""

from __future__ import annotations

from typing import Optional, Sequence

import pulumi
import pulumi_command as command
import pulumi_docker as docker

from ..config import MirrorConfig
from ..contract import MIRROR_TYPE
from ..naming import (
    KIND_NETWORK,
    LOOPBACK,
    REGISTRY_CONTAINER_PORT,
    mirror_cluster_address,
    mirror_labels,
    mirror_volume_name,
)
from ..render import commands
from ..render.drift import NO_REPAIRS, Repairs
from ..render.pull_through import (
    MIRROR_DNS_OPTIONS,
    PROXY_PASSWORD,
    PROXY_USERNAME,
    mirror_entrypoint,
    mirror_env,
    mirror_hosts_dir,
    mirror_hosts_toml,
)
from ..render.tls import MIRROR_TRUSTED_BUNDLE, TRUSTED_BUNDLE
from .cluster import KindCluster
from .kept_container import KeptContainer, kept_container

# (user name, password) as Pulumi secrets: read by the program from the variables the config names.
Credentials = tuple[pulumi.Input[str], pulumi.Input[str]]


class PullThroughMirror(pulumi.ComponentResource):
    container: docker.Container
    volume: docker.Volume
    hosts_toml_writes: list[command.local.Command]
    network_join: command.local.Command
    host: str
    cluster_address: str

    def __init__(
        self,
        name: str,
        mirror: MirrorConfig,
        cluster: KindCluster,
        owner: str,
        network: str = KIND_NETWORK,
        credentials: Optional[Credentials] = None,
        container_hooks: Optional[pulumi.ResourceHookBinding] = None,
        repairs: Repairs = NO_REPAIRS,
        opts: Optional[pulumi.ResourceOptions] = None,
        trusted_bundle: Optional[str] = None,
    ):
        """`container_hooks`: as for LocalRegistry (kindplane.ops.keeper takes a kept mirror back).
        `repairs`: what an earlier up wrote that is gone now (core.render.drift) is written again.
        `trusted_bundle`: cluster.trustedCAs as PEM: the mirror's upstream fetches and the nodes'
        fallback to the upstream trust it (core.render.tls)."""
        if mirror.has_credentials and credentials is None:
            # Never silently anonymous: the upstream would refuse private images only at pull time.
            raise ValueError(
                f"mirror {mirror.name!r} names usernameEnv/passwordEnv: pass credentials=(user, password) "
                f"(kindplane.program reads them with kindplane.core.credentials.mirror_credentials)"
            )
        super().__init__(MIRROR_TYPE, name, None, opts)
        labels = mirror_labels(mirror, owner)
        self.volume, self.container = kept_container(
            name,
            KeptContainer(
                name=mirror.name,
                volume=mirror_volume_name(mirror),
                image=mirror.image,
                labels=labels,
                persistent=mirror.persistent,
                # Straight onto kind's network (it exists once the cluster does): nodes reach the
                # mirror by name; no host port unless the config asks for one.
                network_mode=network,
                ports=[
                    docker.ContainerPortArgs(internal=REGISTRY_CONTAINER_PORT, external=mirror.host_port, ip=LOOPBACK)
                ]
                if mirror.host_port is not None
                else [],
                # A rotated token is a changed env: a new container on the same cache.
                envs=_envs(mirror, credentials),
                hooks=container_hooks,
                depends_on=[cluster.cluster],
                secret_outputs=["envs"] if credentials else None,
                extra={
                    "dns_opts": MIRROR_DNS_OPTIONS,
                    "entrypoints": mirror_entrypoint(),
                    # Only with trustedCAs (existing mirrors keep their inputs); a changed bundle is a
                    # new container on the same cache.
                    "uploads": [docker.ContainerUploadArgs(file=MIRROR_TRUSTED_BUNDLE, content=trusted_bundle)]
                    if trusted_bundle
                    else None,
                },
            ),
            self,
        )

        directory = mirror_hosts_dir(mirror)
        drift = repairs.drift
        # One write per node, in parallel; never on the external load balancer (no containerd).
        # Named after the host's folder they write, not the mirror: a renamed mirror updates them in
        # place (Pulumi would create the new one first and delete the old one last, whose `rm -rf`
        # of the same folder wiped what the new one wrote).
        self.hosts_toml_writes = [
            command.local.Command(
                mirror_hosts_resource(mirror, node),
                create=commands.write_hosts_files(node, [directory]),
                delete=commands.remove_hosts_dirs(node, [directory]),
                stdin=mirror_hosts_toml(mirror, TRUSTED_BUNDLE if trusted_bundle else None),
                # Fresh nodes (a new cluster) need the file again; a new host means a new directory,
                # and delete-first removes the old one instead of leaving a stale mirror behind.
                triggers=[cluster.cluster.id, directory],
                environment=repairs.environment(
                    mirror_hosts_resource(mirror, node), drift.hosts_drifted(node, [directory])
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[cluster.cluster, self.container],
                    delete_before_replace=True,
                    aliases=[pulumi.Alias(name=f"{name}-hosts-{node}")],  # their name before
                ),
            )
            for node in cluster.node_names
        ]
        # The mirror starts on the kind network; this puts it back when it was taken off by hand.
        self.network_join = command.local.Command(
            f"{name}-network",
            create=commands.join_kind_network(mirror.name, network),
            triggers=[self.container.id],
            environment=repairs.environment(f"{name}-network", mirror.name in drift.off_network),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.container]),
        )
        self.host = mirror.host
        self.cluster_address = mirror_cluster_address(mirror)
        self.register_outputs({"containerId": self.container.id, "clusterAddress": self.cluster_address})


def mirror_hosts_resource(mirror: MirrorConfig, node: str) -> str:
    """The hosts.toml write of the mirror's host on one node: unique per host and node."""
    return f"mirror-hosts-{mirror.host.replace(':', '-')}-{node}"


def _envs(mirror: MirrorConfig, credentials: Optional[Credentials]) -> pulumi.Input[Sequence[str]]:
    plain = mirror_env(mirror)
    if credentials is None:
        return plain
    user, password = credentials
    # Secret as a whole: the state keeps the list encrypted and the engine masks it in logs.
    return pulumi.Output.secret(
        pulumi.Output.all(user, password).apply(
            lambda up: plain + [f"{PROXY_USERNAME}={up[0]}", f"{PROXY_PASSWORD}={up[1]}"]
        )
    )
