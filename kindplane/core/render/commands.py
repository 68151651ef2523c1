"""The shell command strings handed to `command.local.Command`, every value shlex-quoted.

The config schema already restricts names to DNS labels; quoting here is the second wall.
"""

from __future__ import annotations

import shlex

from ..config import ClusterConfig, RegistryConfig
from ..contract import kind_create_command
from .containerd import hosts_dirs

q = shlex.quote


def kind_create(cluster: ClusterConfig) -> str:
    """contract.cluster_created_by reads the cluster name back from the state's copy."""
    return kind_create_command(cluster.name)


def kind_create_if_missing(cluster: ClusterConfig) -> str:
    """Creates the cluster only when kind lists no node of it (stdin is drained either way)."""
    name = q(cluster.name)
    return (
        f'if [ -n "$(kind get nodes --name {name} 2>/dev/null)" ]; then cat >/dev/null; else {kind_create(cluster)}; fi'
    )


def kind_delete(cluster: ClusterConfig) -> str:
    return f"kind delete cluster --name {q(cluster.name)}"


def kind_kubeconfig(cluster: ClusterConfig) -> str:
    return f"kind get kubeconfig --name {q(cluster.name)}"


def write_hosts_toml(node: str, registry: RegistryConfig) -> str:
    """Writes hosts.toml (read from stdin) into every mirror directory on one node."""
    return write_hosts_files(node, hosts_dirs(registry))


def write_hosts_files(node: str, dirs: list[str]) -> str:
    """Writes hosts.toml (read from stdin) into each of `dirs` on one node."""
    script = "set -e; " + "; ".join(
        f"mkdir -p {q(d)}; cat > {q(d + '/hosts.toml')}"
        if i == 0
        else f"mkdir -p {q(d)}; cp {q(dirs[0] + '/hosts.toml')} {q(d + '/hosts.toml')}"
        for i, d in enumerate(dirs)
    )
    return f"docker exec -i {q(node)} sh -c {q(script)}"


def remove_hosts_toml(node: str, registry: RegistryConfig) -> str:
    """Best effort: when the node is already gone there is nothing left to clean."""
    return remove_hosts_dirs(node, hosts_dirs(registry))


def remove_hosts_dirs(node: str, dirs: list[str]) -> str:
    """Best effort: when the node is already gone there is nothing left to clean."""
    script = "rm -rf " + " ".join(q(d) for d in dirs)
    return f"docker exec {q(node)} sh -c {q(script)} 2>/dev/null || true"


def write_archive(node: str, folders: list[str]) -> str:
    """Unpacks a base64 tar (stdin: render.tls.archive) at / on one node, its folders made first."""
    script = f"set -e; mkdir -p {' '.join(q(f) for f in folders)}; base64 -d | tar -x -C /"
    return f"docker exec -i {q(node)} sh -c {q(script)}"


def remove_paths(node: str, paths: list[str]) -> str:
    """Best effort, as remove_hosts_dirs: folders and files kindplane wrote on one node."""
    script = "rm -rf " + " ".join(q(p) for p in paths)
    return f"docker exec {q(node)} sh -c {q(script)} 2>/dev/null || true"


def join_kind_network(container: str, network: str) -> str:
    """Connects a registry or mirror container to kind's network; a no-op when it is connected.

    `network` is checked by naming.kind_network, `container` by the config schema; `index` (not
    `.Networks.<name>`) because a Go template field cannot hold '-' or '.', which network names may.
    """
    name, net = q(container), q(network)
    template = q(f'{{{{json (index .NetworkSettings.Networks "{network}")}}}}')
    joined = f"docker inspect -f {template} {name}"
    return f'if [ "$({joined})" = null ]; then docker network connect {net} {name}; fi'
