"""Read-only health checks behind `kindplane status`: Docker, the registry's API, each node.

Nothing here changes anything. Each check says what it saw and, when it is wrong, what to run.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .docker_lookup import inspect_container, is_kindplane_registry
from ..core.naming import kind_network, kube_context, node_names, registry_host_address
from .preflight import kind_node_containers
from ..core.render.containerd import hosts_dirs
from ..core.render.discovery import CONFIGMAP_NAME, CONFIGMAP_NAMESPACE

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from ..core.config import KindplaneConfig, RegistryConfig

UP = "kindplane up"


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str
    fix: str = ""


def cluster_checks(config: KindplaneConfig, client: Any) -> tuple[list[Check], list[str]]:
    """One check per expected node; returns the running node names too."""
    cluster = config.cluster
    found = {c["Names"][0].lstrip("/"): c for c in kind_node_containers(client, cluster.name) if c.get("Names")}
    if not found:
        return [Check(f"cluster {cluster.name}", False, "not found (no kind node containers)", UP)], []
    checks, running = [], []
    for node in node_names(cluster):
        container = found.get(node)
        state = container.get("State") if container else None
        if state == "running":
            running.append(node)
        fix = UP if container is None else f"docker start {node}"
        checks.append(Check(f"node {node}", state == "running", state or "missing", "" if state == "running" else fix))
    return checks, running


def registry_checks(registry: RegistryConfig, client: Any, http_get=None) -> list[Check]:
    label = f"registry {registry.name}"
    attrs = inspect_container(client, registry.name)
    if attrs is None:
        return [Check(label, False, "container missing", UP)]
    if not is_kindplane_registry(attrs) and not registry.external:  # external: anyone's registry will do
        return [Check(label, False, "a container of this name exists but kindplane did not create it", f"docker rm -f {registry.name} && {UP}")]
    state = (attrs.get("State") or {}).get("Status", "unknown")
    checks = [Check(label, state == "running", f"container {state}", "" if state == "running" else f"docker start {registry.name}")]
    networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    joined = kind_network() in networks
    checks.append(Check(f"{label} on network {kind_network()}", joined, "connected" if joined else "not connected", "" if joined else UP))
    checks.append(api_check(registry, http_get))
    return checks


def api_check(registry: RegistryConfig, http_get=None) -> Check:
    """GET /v2/ answers 200 on a healthy registry:2; the catalog gives the repository count."""
    import httpx  # lazy: fast commands never load it

    get = http_get or (lambda url: httpx.get(url, timeout=3.0))
    base = f"http://{registry_host_address(registry)}/v2/"
    label = f"registry API {base}"
    try:
        response = get(base)
        if response.status_code != 200:
            return Check(label, False, f"answered HTTP {response.status_code}", f"docker logs {registry.name}")
        catalog = get(base + "_catalog")
        repos = catalog.json().get("repositories") or [] if catalog.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        return Check(label, False, f"not reachable ({exc.__class__.__name__})", f"docker start {registry.name} or {UP}")
    count = "image count unknown" if repos is None else f"{len(repos)} image(s)"
    return Check(label, True, f"reachable, {count}")


def hosts_toml_checks(registry: RegistryConfig, client: Any, nodes: list[str]) -> list[Check]:
    """Each running node must hold hosts.toml for both names pods may use."""
    checks = []
    for node in nodes:
        files = [f"{d}/hosts.toml" for d in hosts_dirs(registry)]
        result = client.api.exec_create(node, ["sh", "-c", 'for f in "$@"; do [ -f "$f" ] || echo "$f"; done', "sh", *files])
        missing = client.api.exec_start(result["Id"]).decode(errors="replace").split()
        ok = not missing
        detail = "present" if ok else f"missing {', '.join(missing)}"
        checks.append(Check(f"hosts.toml on {node}", ok, detail, "" if ok else UP))
    return checks


def configmap_check(cluster_name: str, kubectl: Optional[str] = None) -> Optional[Check]:
    """None when kubectl is missing or the API server does not answer: nothing to say then."""
    kubectl = kubectl or shutil.which("kubectl")
    if kubectl is None:
        return None
    argv = [kubectl, "--context", kube_context(cluster_name), "--request-timeout=5s", "-n", CONFIGMAP_NAMESPACE, "get", "configmap", CONFIGMAP_NAME, "-o", "name"]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError):
        return None
    label = f"ConfigMap {CONFIGMAP_NAMESPACE}/{CONFIGMAP_NAME}"
    if result.returncode == 0:
        return Check(label, True, "present")
    if "NotFound" in result.stderr or "not found" in result.stderr:
        return Check(label, False, "missing", UP)
    return None  # unreachable cluster, unknown context: no verdict


def gather(config: KindplaneConfig, client: Any, http_get=None, kubectl: Optional[str] = None) -> list[Check]:
    checks, running = cluster_checks(config, client)
    registry = config.cluster.registry
    if registry.enabled:
        checks += registry_checks(registry, client, http_get)
        checks += hosts_toml_checks(registry, client, running)
        if running:
            found = configmap_check(config.cluster.name, kubectl)
            if found is not None:
                checks.append(found)
    return checks
