"""Names and addresses derived from the config: node names, labels, registry addresses."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Mapping

from .contract import (  # noqa: F401 (the names below are re-exported: naming's users read them here too)
    LABEL_MANAGED_BY,
    LABEL_OWNER,
    LABEL_REGISTRY,
    LABEL_ROLE,
    REGISTRY_CONTAINER_PORT,
    REGISTRY_DATA_PATH,
    cluster_address,
    host_address,
)
from .node_names import control_plane_names, worker_names

if TYPE_CHECKING:
    from .config import ClusterConfig, MirrorConfig, RegistryConfig

# `kindplane registry rm` deletes manifests through the API, which registry:2 refuses unless told.
REGISTRY_ENV = ["REGISTRY_STORAGE_DELETE_ENABLED=true"]
KIND_NETWORK = "kind"  # kind's default; see kind_network()
LOOPBACK = "127.0.0.1"
CERTS_DIR = "/etc/containerd/certs.d"
HELP_URL = "https://kind.sigs.k8s.io/docs/user/local-registry/"

# kind's own override of its network name; kindplane follows it the same way kind does.
KIND_NETWORK_ENV = "KIND_EXPERIMENTAL_DOCKER_NETWORK"


def node_names(cluster: "ClusterConfig") -> list[str]:
    """The nodes that run containerd, in kind's order: control planes, then workers."""
    return control_plane_names(cluster.name, cluster.nodes.control_plane) + worker_names(
        cluster.name, cluster.nodes.workers
    )


def registry_host_address(registry: "RegistryConfig") -> str:
    """Where the host (docker push, curl) and pod manifests reach the registry."""
    return host_address(registry.port)


def registry_cluster_address(registry: "RegistryConfig") -> str:
    """Where code inside pods (and node containerd, on the kind network) reaches it."""
    return cluster_address(registry.name)


def data_volume_name(container: str) -> str:
    """Where a kept container's data lives, persistent or not: toggling `persistent` never moves it."""
    return f"{container}-data"


def registry_volume_name(registry: "RegistryConfig") -> str:
    return data_volume_name(registry.name)


def registry_labels(registry: "RegistryConfig", owner: str) -> dict[str, str]:
    """`owner` is "<project>/<stack>", the stack whose state holds the container."""
    return _labels("registry", registry.name, owner)


def _labels(role: str, name: str, owner: str) -> dict[str, str]:
    # No label says `persistent`: labels force a new container, and toggling persistence only
    # changes what `down` keeps (retain_on_delete in the state).
    return {LABEL_MANAGED_BY: "kindplane", LABEL_ROLE: role, LABEL_REGISTRY: name, LABEL_OWNER: owner}


def stack_owner(project: str, stack: str) -> str:
    return f"{project}/{stack}"


# Docker's own rule for network names; anything else never reaches a shell command.
_DOCKER_NETWORK = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")


class BadEnvironment(ValueError):
    """An environment variable kindplane follows holds a value it cannot use."""


def kind_network(environ: "Mapping[str, str] | None" = None) -> str:
    """The Docker network kind puts nodes on: KIND_EXPERIMENTAL_DOCKER_NETWORK, else `kind`."""
    env = os.environ if environ is None else environ
    name = env.get(KIND_NETWORK_ENV) or KIND_NETWORK
    if not _DOCKER_NETWORK.match(name):
        raise BadEnvironment(
            f"{KIND_NETWORK_ENV}={name!r} is not a Docker network name (letters, digits, '_', '.', "
            f"'-', starting with a letter or digit); fix or unset it"
        )
    return name


def kube_context(cluster_name: str) -> str:
    return f"kind-{cluster_name}"


# --- pull-through mirrors --------------------------------------------------------------------


def mirror_cluster_address(mirror: "MirrorConfig") -> str:
    """Where node containerd reaches a mirror: its container name on the kind network."""
    return cluster_address(mirror.name)


def mirror_volume_name(mirror: "MirrorConfig") -> str:
    return data_volume_name(mirror.name)


def mirror_labels(mirror: "MirrorConfig", owner: str) -> dict[str, str]:
    """The registry's labels with role `mirror`: adoption never mistakes one for the other."""
    return _labels("mirror", mirror.name, owner)
