"""The shell command strings handed to `command.local.Command`, every value shlex-quoted.

The config schema already restricts names to DNS labels; quoting here is the second wall.
"""
from __future__ import annotations

import shlex

from ..config import ClusterConfig, RegistryConfig
from ..naming import KIND_NETWORK
from .containerd import hosts_dirs

q = shlex.quote


def kind_create(cluster: ClusterConfig) -> str:
    """The kind config arrives on stdin (`--config -`), so no temp file is left behind."""
    return f"kind create cluster --name {q(cluster.name)} --config -"


def kind_delete(cluster: ClusterConfig) -> str:
    return f"kind delete cluster --name {q(cluster.name)}"


def kind_kubeconfig(cluster: ClusterConfig) -> str:
    return f"kind get kubeconfig --name {q(cluster.name)}"


def write_hosts_toml(node: str, registry: RegistryConfig) -> str:
    """Writes hosts.toml (read from stdin) into every mirror directory on one node."""
    dirs = hosts_dirs(registry)
    script = "set -e; " + "; ".join(
        f"mkdir -p {q(d)}; cat > {q(d + '/hosts.toml')}" if i == 0
        else f"mkdir -p {q(d)}; cp {q(dirs[0] + '/hosts.toml')} {q(d + '/hosts.toml')}"
        for i, d in enumerate(dirs)
    )
    return f"docker exec -i {q(node)} sh -c {q(script)}"


def remove_hosts_toml(node: str, registry: RegistryConfig) -> str:
    """Best effort: when the node is already gone there is nothing left to clean."""
    script = "rm -rf " + " ".join(q(d) for d in hosts_dirs(registry))
    return f"docker exec {q(node)} sh -c {q(script)} 2>/dev/null || true"


def join_kind_network(registry: RegistryConfig) -> str:
    """Connects the registry to kind's network; a no-op when it is already connected."""
    name, net = q(registry.name), q(KIND_NETWORK)
    joined = f"docker inspect -f '{{{{json .NetworkSettings.Networks.{KIND_NETWORK}}}}}' {name}"
    return f'if [ "$({joined})" = null ]; then docker network connect {net} {name}; fi'
