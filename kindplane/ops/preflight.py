"""Checks run before anything is created. Each problem is one line that ends with the fix.

They look at the machine only (PATH, Docker, a port, kind's node containers) and never change
anything; the CLI prints every problem found and exits 1.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

from ..core.contract import KIND_CLUSTER_LABEL
from ..core.naming import LOOPBACK
from .docker_lookup import (
    AdoptionError,
    DockerUnavailable,
    docker_client,
    inspect_container,
    is_kindplane_mirror,
    is_kindplane_registry,
    is_stacks_registry,
    port_bindings,
)
from .keeper import look, wanted_mirror, wanted_registry
from .port_holder import port_holder
from .registry.external import find_shared_registry
from .setup_tools import SETUP_HINT
from .tools import bin_dir, find_kind, find_pulumi

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from docker import DockerClient

    from ..core.config import ClusterConfig, KindplaneConfig, RegistryConfig
    from ..core.render.host_ports import HostPort


class PreflightFailed(RuntimeError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def missing_tools(need_kind: bool = True, need_pulumi: bool = True) -> list[str]:
    problems = []
    if need_kind and find_kind() is None:
        problems.append(f"kind is not installed (not on PATH nor in {bin_dir()}): {SETUP_HINT}")
    if need_pulumi and find_pulumi() is None:
        problems.append(f"the Pulumi CLI is not installed: {SETUP_HINT}")
    return problems


def pulumi_version_problem() -> Optional[str]:
    """The Pulumi CLI found is too old for resource hooks (they take kept containers back: >= 3.182)."""
    import subprocess

    from ..core.versions import pulumi_cli_problem
    from .tool_versions import pulumi_version_text

    pulumi = find_pulumi()
    if pulumi is None:
        return None
    try:
        found = pulumi_version_text(pulumi)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`{pulumi} version` failed ({exc}); reinstall it with `kindplane setup`"
    return pulumi_cli_problem(found)


def kind_version_problem() -> Optional[str]:
    """The kind found is one kindplane cannot drive (too old for hosts.toml), in one line with the fix."""
    from ..core.versions import MIN_KIND, parse_version, shown
    from .setup_tools import installed_kind_version
    from .tools import KIND_VERSION

    kind = find_kind()
    if kind is None:
        return None
    version = installed_kind_version(Path(kind))
    if version is None:
        return f"`{kind} version` did not answer: reinstall kind with `kindplane setup`"
    if parse_version(version) < MIN_KIND:
        return (
            f"kind {version} at {kind} is too old: kindplane needs kind >= v{shown(MIN_KIND)} (the first "
            f"release whose nodes read registry hosts.toml files through containerd's config_path); "
            f"remove it and run `kindplane setup` (installs kind {KIND_VERSION})"
        )
    return None


def node_image_release_warning(cluster: ClusterConfig) -> Optional[str]:
    """The pinned node image was built for another kind release than the kind on PATH (kind only
    vouches for its own release's images): the warning with the fix, else None."""
    from ..core.node_images import release_mismatch
    from .setup_tools import installed_kind_version

    kind = find_kind()
    version = installed_kind_version(Path(kind)) if kind else None
    if version is None:
        return None
    found = release_mismatch(cluster.node_image_resolved, version)
    if found is None:
        return None
    key = "cluster.nodeImage" if cluster.node_image else f'cluster.kubernetesVersion "{cluster.kubernetes_version}"'
    return f"{key}: {found}"


def docker_endpoint() -> str:
    """The run's Docker daemon and where that choice came from (DOCKER_HOST, a context, …)."""
    from .docker_endpoint import current_endpoint

    return current_endpoint().describe()


def docker_start_hint() -> str:
    from .docker_endpoint import EndpointError, current_endpoint
    from .docker_start import start_hint

    try:
        return start_hint(current_endpoint())
    except EndpointError:
        return "fix the docker context first"


def python_problem() -> Optional[str]:
    """kindplane's interpreter can give the Pulumi language host no pip (see python_env)."""
    import sys

    from .python_env import pip_problem

    if os.environ.get("PULUMI_PYTHON_CMD") not in (None, "", sys.executable):
        return None  # the user named another interpreter: Pulumi uses that one as it is
    return pip_problem()


def connect_docker() -> DockerClient:
    """A pinged docker SDK client, or PreflightFailed with the one-line fix."""
    from .docker_daemon import endpoint_problem
    from .docker_endpoint import current_endpoint

    try:
        client = docker_client()
    except DockerUnavailable as exc:
        raise PreflightFailed([f"{exc}; start it ({docker_start_hint()}) and try again"]) from None
    problem = endpoint_problem(current_endpoint(), client.version())  # nodes and registry apart, or far
    if problem:
        raise PreflightFailed([problem])
    return client


def kind_node_containers(client: DockerClient, cluster_name: str) -> list[dict]:
    """kind's node containers for this cluster name, running or not (docker ps -a)."""
    found = client.api.containers(all=True, filters={"label": f"{KIND_CLUSTER_LABEL}={cluster_name}"})
    return sorted(found, key=lambda c: c["Names"][0] if c.get("Names") else "")


def delete_kind_cluster(name: str) -> None:
    """`kind delete cluster` with the kind kindplane uses (the stand-in in tests)."""
    import subprocess

    from .docker_endpoint import current_endpoint
    from .tools import find_kind, search_path

    kind = find_kind() or "kind"
    subprocess.run(
        [kind, "delete", "cluster", "--name", name],
        check=True,
        capture_output=True,
        env={**os.environ, **current_endpoint().environment(), "PATH": search_path()},
        timeout=300,
    )


def port_is_free(port: int, host: str = LOOPBACK, protocol: str = "TCP") -> bool:
    """Whether `host:port` can be bound now; OSError when `host` is not an address of this host."""
    if protocol not in ("TCP", "UDP"):
        return True  # SCTP: not every kernel can even open such a socket; Docker reports a clash itself
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if protocol == "TCP" else socket.SOCK_DGRAM
    with socket.socket(family, kind) as sock:
        if protocol == "TCP":
            # SO_REUSEADDR: connections in TIME_WAIT must not count as "taken"; a listener still does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            if exc.errno == errno.EACCES:
                # A port below 1024 as a normal user: Docker (root) can still bind it; only a
                # listener that answers makes it taken.
                return protocol != "TCP" or not _answers(family, host, port)
            raise
    return True


def _answers(family: int, host: str, port: int) -> bool:
    target = {"0.0.0.0": LOOPBACK, "::": "::1"}.get(host, host)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((target, port)) == 0


def held_by(containers: list[str], tcp_port: Optional[int]) -> str:
    """Who holds a port, for the message that asks to stop it: the containers publishing it, else
    the program listening on it (TCP, when /proc says), else "another program"."""
    if containers:
        return f"container {', '.join(containers)}"
    return (port_holder(tcp_port) if tcp_port is not None else None) or "another program"


def _publishes(attrs: dict, port: int) -> bool:
    return any(str(b.get("HostPort")) == str(port) for b in port_bindings(attrs))


def registry_problems(registry: RegistryConfig, client: DockerClient, owner: str) -> list[str]:
    """The registry's name held by a foreign container, or its port held by something else."""
    if registry.external:
        return []  # shared_registry_problems: the registry is used as it runs
    refused = look(client, wanted_registry(registry, owner)).refusal
    if refused:
        return [refused]
    try:
        free = port_is_free(registry.port, registry.listen_address)
    except OSError as exc:  # EADDRNOTAVAIL: not an address of this host (or IPv6 is off)
        return [
            f"cannot bind {registry.listen_address} (cluster.registry.listenAddress): {exc.strerror or exc}; "
            f"use an address of this host, such as 127.0.0.1 or 0.0.0.0"
        ]
    if free:
        return []
    ours = inspect_container(client, registry.name)
    running = ours is not None and bool((ours.get("State") or {}).get("Running"))
    if ours is not None and running and is_kindplane_registry(ours) and _publishes(ours, registry.port):
        return []  # our own registry already serves it: up converges onto it
    holders = [
        c["Names"][0].lstrip("/")
        for c in client.api.containers(filters={"publish": str(registry.port)})
        if c.get("Names")
    ]
    if holders and all(_own_registry(client, name, owner) for name in holders):
        return []  # this stack's registry under its old name: the update replaces it (deleted first)
    who = held_by(holders, registry.port)
    kept = f" (registry {registry.name} is stopped and cannot start on it)" if ours is not None and not running else ""
    return [
        f"port {registry.port} on {registry.listen_address} is already in use by {who}{kept}; stop it or set "
        f"cluster.registry.port to a free port in kindplane.yaml"
    ]


def _own_registry(client: DockerClient, name: str, owner: str) -> bool:
    attrs = inspect_container(client, name)
    return attrs is not None and is_stacks_registry(attrs, owner)


def cluster_owner_problem(cluster_name: str, nodes: Iterable[dict], managed: set[str], stack: str) -> Optional[str]:
    """A kind cluster of this name that this stack did not create must not be taken over."""
    if cluster_name in managed or not list(nodes):
        return None
    return (
        f"a kind cluster named {cluster_name!r} already exists and stack {stack!r} did not create it; "
        f"delete it with `kind delete cluster --name {cluster_name}` or choose another cluster.name"
    )


def conflicts(config: KindplaneConfig, client: DockerClient, managed: set[str], stack: str, owner: str) -> list[str]:
    """What would make `up` fail half-way: foreign cluster, foreign registry, taken ports."""
    cluster = config.cluster
    problems = []
    foreign_cluster = cluster_owner_problem(cluster.name, kind_node_containers(client, cluster.name), managed, stack)
    if foreign_cluster:
        problems.append(foreign_cluster)
    if cluster.registry.enabled:
        problems += registry_problems(cluster.registry, client, owner)
        problems += shared_registry_problems(config, client, owner)
    mirrors = (look(client, wanted_mirror(mirror, i, owner)) for i, mirror in enumerate(cluster.mirrors))
    problems += [d.refusal for d in mirrors if d.refusal]
    problems += host_port_problems(cluster, client)
    return problems


def host_port_problems(cluster: ClusterConfig, client: DockerClient) -> list[str]:
    """Every host port the config publishes (ingress, portMappings, cluster.kind, mirrors) must be
    free, or already held by this cluster's nodes or this mirror (a re-run of up)."""
    from ..core.render.host_ports import cluster_host_ports

    problems = []
    for wanted in cluster_host_ports(cluster):
        try:
            if port_is_free(wanted.port, wanted.address, wanted.protocol):
                continue
        except OSError as exc:  # EADDRNOTAVAIL: not an address of this host
            why = exc.strerror or exc
            problems.append(f"cannot bind {wanted.address} ({wanted.key}): {why}; use an address of this host")
            continue
        if _held_by_ours(client, cluster, wanted):
            continue
        publishing = client.api.containers(filters={"publish": f"{wanted.port}/{wanted.protocol.lower()}"})
        holders = [c["Names"][0].lstrip("/") for c in publishing if c.get("Names")]
        if cluster.registry.external and cluster.registry.name in holders:
            continue  # shared_registry_problems names this clash with its own fix
        who = f" by {held_by(holders, wanted.port if wanted.protocol == 'TCP' else None)}"
        fix = "set cluster.ingress: false" if wanted.key == "cluster.ingress" else f"pick another port for {wanted.key}"
        port = wanted.port if wanted.protocol == "TCP" else f"{wanted.port}/{wanted.protocol}"
        problems.append(
            f"port {port} on {wanted.address} ({wanted.key}) is already in use{who}; stop it or {fix} in kindplane.yaml"
        )
    return problems


def _held_by_ours(client: DockerClient, cluster: ClusterConfig, wanted: HostPort) -> bool:
    if wanted.mirror is None:
        return any(
            p.get("PublicPort") == wanted.port and p.get("Type") == wanted.protocol.lower()
            for node in kind_node_containers(client, cluster.name)
            for p in node.get("Ports") or []
        )
    attrs = inspect_container(client, wanted.mirror)
    return attrs is not None and is_kindplane_mirror(attrs) and _publishes(attrs, wanted.port)


def shared_registry_problems(config: KindplaneConfig, client: DockerClient, owner: str) -> list[str]:
    """external: true needs a running registry of that name with a host port no portMapping takes."""
    registry = config.cluster.registry
    if not registry.external:
        return []
    try:
        port = find_shared_registry(registry, owner, client).port
    except AdoptionError as exc:
        return [str(exc)]
    return [
        f"portMappings[{i}].hostPort: {m.host_port} is the port the external registry {registry.name} "
        f"publishes; pick another hostPort in kindplane.yaml"
        for i, m in enumerate(config.cluster.port_mappings)
        if m.host_port == port and m.protocol == "TCP"
    ]


def missing_nodes(recorded: object, nodes: list[dict]) -> list[str]:
    """The nodes the state records (its nodeNames output) that Docker no longer has."""
    live = {name.lstrip("/") for c in nodes for name in c.get("Names") or []}
    return [str(n) for n in recorded if str(n) not in live] if isinstance(recorded, list) else []


def stopped_nodes_problem(cluster_name: str, nodes: list[dict]) -> Optional[str]:
    """Stopped node containers: a refresh now would find the API server gone."""
    stopped = sorted(c["Names"][0].lstrip("/") for c in nodes if c.get("State") != "running" and c.get("Names"))
    if not stopped:
        return None
    return (
        f"cluster {cluster_name} is stopped (node containers {', '.join(stopped)} are not running); "
        f"start them with `docker start {' '.join(stopped)}`, wait a few seconds, and run up again"
    )


def api_server_problem(cluster_name: str, kubeconfig: Optional[str], timeout: float = 5.0) -> Optional[str]:
    """The cluster's API server must answer before `up` refreshes.

    With delete_unreachable on, a refresh against a silent API server drops the ConfigMap from
    the state although it still exists in the cluster; refusing here keeps the state whole.
    Any HTTP answer counts (401/403 included): only "nothing answers" is a problem. A cluster made
    again outside kindplane (`kind delete cluster`, `kind create cluster`) answers elsewhere: that
    is no problem, the program reads its kubeconfig again (api_server_moved says where).
    """
    from .kube_api import KubeUnreachable, get, parse_kubeconfig

    recorded = parse_kubeconfig(kubeconfig) if kubeconfig else None
    if recorded is None:
        return None  # nothing recorded, or not a kubeconfig we can read: the engine reports what it finds
    try:
        get(recorded, "/readyz", timeout=timeout)
        return None
    except KubeUnreachable as exc:
        silent = str(exc)
    if api_server_moved(cluster_name, recorded.server, timeout) is not None:
        return None
    return (
        f"the API server of cluster {cluster_name} does not answer at {silent}; its node containers run, so it "
        f"is still starting or has stopped: wait until `kubectl --context kind-{cluster_name} get nodes` answers "
        f"and run up again, or re-create the cluster (`kindplane down`, then `kindplane up`)"
    )


def api_server_moved(cluster_name: str, recorded_server: str, timeout: float = 5.0) -> Optional[str]:
    """The address the cluster answers at now, when kind reports another one than the state
    recorded (the cluster was made again outside kindplane); None otherwise."""
    from .kube_api import KubeUnreachable, get
    from .wiring_readback import live_kubeconfig

    live = live_kubeconfig(cluster_name)
    if live is None or live.server == recorded_server:
        return None
    try:
        get(live, "/readyz", timeout=timeout)
    except KubeUnreachable:
        return None
    return live.server
