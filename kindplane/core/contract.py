"""Every name the CLI, the program, the components and the tests must agree on, in one place.

Import-free (the standard library's shlex only): the CLI reads it on paths that never load
pydantic or Pulumi.
"""

from __future__ import annotations

import shlex
from typing import Optional

# --- the Pulumi project and its stack config --------------------------------------------------
PROJECT = "kindplane"  # Pulumi.yaml's name; also the config namespace
CONFIG_NAMESPACE = PROJECT
CONFIG_KEY = "configFile"  # `kindplane:configFile`: the stack's kindplane.yaml, relative to the project
CONFIG_FILE_KEY = f"{CONFIG_NAMESPACE}:{CONFIG_KEY}"  # as Pulumi.<stack>.yaml and `pulumi config` spell it
DEFAULT_CONFIG_FILE = "kindplane.yaml"

# --- stack outputs ------------------------------------------------------------------------------
OUTPUT_CONFIG_FILE = "configFile"  # the absolute path the last update read: the stack's identity
OUTPUT_CLUSTER_NAME = "clusterName"
OUTPUT_NODE_NAMES = "nodeNames"
OUTPUT_KUBECONFIG = "kubeconfig"  # secret
OUTPUT_REGISTRY_HOST = "registryHost"
OUTPUT_REGISTRY_CLUSTER_ADDRESS = "registryClusterAddress"
OUTPUT_MIRRORS = "mirrors"
OUTPUT_APPLIED_SETTINGS = "appliedSettings"
OUTPUT_FINGERPRINT = "settingsFingerprint"
OUTPUT_PROGRAM = "kindplaneProgram"  # core.program_identity: the code that made the state

# --- Pulumi type tokens -------------------------------------------------------------------------
STACK_TYPE = "pulumi:pulumi:Stack"
CONTAINER_TYPE = "docker:index/container:Container"
VOLUME_TYPE = "docker:index/volume:Volume"
COMMAND_TYPE = "command:local:Command"
CONFIGMAP_TYPE = "kubernetes:core/v1:ConfigMap"
ENVIRONMENT_TYPE = "kindplane:index:Environment"
LOCAL_REGISTRY_TYPE = "kindplane:index:LocalRegistry"
SHARED_REGISTRY_TYPE = "kindplane:index:SharedRegistry"
MIRROR_TYPE = "kindplane:index:PullThroughMirror"
CLUSTER_TYPE = "kindplane:index:KindCluster"
WIRING_TYPE = "kindplane:index:RegistryWiring"
NODE_TLS_TYPE = "kindplane:index:NodeTls"

# --- containers ---------------------------------------------------------------------------------
DEFAULT_REGISTRY_IMAGE = "registry:2"
REGISTRY_CONTAINER_PORT = 5000  # what registry:2/3 listen on inside the container
REGISTRY_DATA_PATH = "/var/lib/registry"
# Labels that mark a registry or mirror container (and its volume) as kindplane's: a take-over
# trusts only containers carrying them, so a foreign container sharing the name is never taken.
LABEL_MANAGED_BY = "dev.kindplane.managed-by"
LABEL_ROLE = "dev.kindplane.role"
LABEL_REGISTRY = "dev.kindplane.registry"
# Which Pulumi project/stack created it: one stack's `down` never deletes another stack's images.
LABEL_OWNER = "dev.kindplane.owner"
# kind labels every node container with its cluster's name and its role.
KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster"
KIND_ROLE_LABEL = "io.x-k8s.kind.role"
LOAD_BALANCER_ROLE = "external-load-balancer"  # kind's haproxy node: no containerd, nothing is wired there


def host_address(port: int) -> str:
    """Where the host (docker push, curl) and pod manifests reach a registry published on `port`:
    the one spelling of a registry's host address (naming.registry_host_address for a config's)."""
    return f"localhost:{port}"


def cluster_address(container: str) -> str:
    """Where nodes (containerd) and code in pods reach a registry or mirror: its container name on
    the kind network."""
    return f"{container}:{REGISTRY_CONTAINER_PORT}"


# A registry container asking itself (`wget` inside it): its own port, on its own loopback.
SELF_ADDRESS = host_address(REGISTRY_CONTAINER_PORT)


# --- the cluster's create command and its parser --------------------------------------------------


def kind_create_command(cluster_name: str) -> str:
    """The kind config arrives on stdin (`--config -`), so no temp file is left behind."""
    return f"kind create cluster --name {shlex.quote(cluster_name)} --config -"


def cluster_created_by(command: str) -> Optional[str]:
    """The cluster name in a command kind_create_command wrote; None for any other command."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    return argv[4] if len(argv) > 4 and argv[:4] == ["kind", "create", "cluster", "--name"] else None
