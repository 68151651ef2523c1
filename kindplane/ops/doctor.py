"""`kindplane doctor`: the local-registry guide's Troubleshooting section as automatic checks.

Each check is a small function returning CheckResult lines: what was checked, whether it
passed, what was found, and for a failure the exact shell command that fixes it. Expected
values come from the same render functions `kindplane up` uses, so doctor and up never disagree.
"""

from __future__ import annotations

import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from ..core.config import ClusterConfig, KindplaneConfig, RegistryConfig
from ..core.image_ref import ImageRef
from ..core.naming import (
    CERTS_DIR,
    LOOPBACK,
    REGISTRY_CONTAINER_PORT,
    kind_network,
    kube_context,
    node_names,
    registry_cluster_address,
    registry_host_address,
)
from ..core.render import commands as render_commands
from ..core.render.containerd import hosts_dirs, hosts_toml
from ..core.render.discovery import CONFIGMAP_NAME, CONFIGMAP_NAMESPACE, local_registry_hosting
from ..core.render.registry_auth import basic_authorization
from .check_result import FAIL, OK, SKIP, WARN, CheckResult, fail, ok, skip, warn  # noqa: F401 (re-exported)
from .container_checks import container_running, on_network
from .docker_lookup import port_bindings, read_container_file

if TYPE_CHECKING:
    from docker import DockerClient

CONTAINERD_CONFIG = "/etc/containerd/config.toml"
# Where containerd keeps the CRI registry settings: kind's (containerd 1.x, config version 2)
# and containerd 2.x's (config version 3).
CRI_REGISTRY_TABLES = (
    ("plugins", "io.containerd.grpc.v1.cri", "registry"),
    ("plugins", "io.containerd.cri.v1.images", "registry"),
)
API_TIMEOUT = 10.0

q = shlex.quote


@dataclass
class Doctor:
    """Runs every check for one config (the tool checks alone without one). `kindplane` is how
    fixes spell our own command (e.g. `kindplane -c other.yaml`), so a fix can be pasted as is."""

    config: Optional[KindplaneConfig]
    kindplane: str = "kindplane"
    client: Optional[DockerClient] = None  # docker SDK client, None until the daemon answers
    registry_attrs: Optional[dict] = None
    registry_answers: bool = False
    results: list[CheckResult] = field(default_factory=list)
    # registry.auth's user name and password (None: the config asks for none, or its variable is unset)
    login: Optional[tuple[str, str]] = None

    @property
    def docker(self) -> DockerClient:
        """The client of the checks that run() reaches only after check_docker found the daemon."""
        assert self.client is not None, "run() skips the Docker checks without a daemon"
        return self.client

    @property
    def cluster(self) -> ClusterConfig:
        assert self.config is not None, "only the tool checks run without a config"
        return self.config.cluster

    @property
    def registry(self) -> RegistryConfig:
        return self.cluster.registry

    @property
    def authorization(self) -> Optional[str]:
        """The header every node's hosts.toml sends (registry.auth), None without credentials."""
        if self.login is None:
            return None
        return basic_authorization(*self.login)

    def run_tools(self) -> list[CheckResult]:
        """kind, the Pulumi CLI and Docker: what `up` drives, checked without a kindplane.yaml."""
        self.results += [self.check_kind(), self.check_pulumi()]
        return self.check_daemon()

    def check_daemon(self) -> list[CheckResult]:
        self.results.append(self.check_docker())
        if self.client is not None:
            self.results.append(self.check_same_daemon())
        return self.results

    def run(self, image: Optional[ImageRef] = None) -> list[CheckResult]:
        self.results += [self.check_kind(), self.check_pulumi(), self.check_node_image_release()]
        self.check_daemon()
        if self.client is None:
            self.results.append(skip("remaining checks", "they all need the Docker daemon"))
            return self.results
        from .mirror_doctor import check_mirrors

        assert self.config is not None
        self.results.extend(check_mirrors(self.config, self.client, self.kindplane))
        from .tls_doctor import check_tls

        self.results.extend(check_tls(self.config, self.client, self.kindplane))
        if not self.registry.enabled:
            self.results.append(skip("local registry", "disabled in kindplane.yaml (cluster.registry.enabled: false)"))
            self.results.extend(self.check_nodes())
            return self.results
        self.results.append(self.check_registry_container())
        self.results.append(self.check_registry_api())
        self.results.append(self.check_kind_network())
        self.results.append(self.check_loopback_only())
        self.results.extend(self.check_nodes())
        self.results.append(self.check_configmap())
        if image is not None:
            self.results.extend(self.check_image(image))
        return self.results

    # --- the tools `up` drives -------------------------------------------------------------

    def check_kind(self) -> CheckResult:
        from ..core.versions import MIN_KIND, parse_version, shown
        from .setup_tools import installed_kind_version
        from .tools import bin_dir, find_kind

        title = "kind installed"
        path = find_kind()
        if path is None:
            return fail(title, f"not on PATH nor in {bin_dir()}", f"{self.kindplane} setup")
        version = installed_kind_version(Path(path))
        if version is None:
            return fail(title, f"`{path} version` did not answer", f"{self.kindplane} setup")
        if parse_version(version) < MIN_KIND:
            return fail(
                title,
                f"{version} at {path}; kindplane needs >= v{shown(MIN_KIND)} (hosts.toml registry config)",
                f"rm {q(path)} && {self.kindplane} setup",
            )
        return ok(title, f"{version} at {path}")

    def check_node_image_release(self) -> CheckResult:
        """The pinned node image and the kind on PATH are of one kind release (a warning, not a
        failure: kind may still start it, it just does not vouch for it)."""
        from .preflight import node_image_release_warning
        from .setup_tools import installed_kind_version
        from .tools import find_kind

        title = "node image built for this kind"
        image = self.cluster.node_image_resolved
        if image is None:
            return skip(title, "no node image pinned: kind runs its own default")
        kind = find_kind()
        version = installed_kind_version(Path(kind)) if kind else None
        if version is None:
            return skip(title, "no kind to compare with")
        mismatch = node_image_release_warning(self.cluster)
        if mismatch:
            return warn(title, mismatch, f"{self.kindplane} setup" if "kindplane setup" in mismatch else None)
        return ok(title, f"{image} with kind {version}")

    def check_pulumi(self) -> CheckResult:
        from ..core.versions import parse_version, pulumi_cli_problem, shown
        from .tool_versions import pulumi_version_text
        from .tools import find_pulumi

        title = "Pulumi CLI installed"
        path = find_pulumi()
        if path is None:
            return fail(title, "not on PATH nor installed by kindplane setup", f"{self.kindplane} setup")
        try:
            text = pulumi_version_text(path)
        except (OSError, subprocess.SubprocessError) as exc:
            return fail(title, f"`{path} version` failed ({exc})", f"{self.kindplane} setup")
        problem = pulumi_cli_problem(text)
        if problem:
            return fail(
                title,
                f"{text or 'unknown version'} at {path}; {problem.split('; ', 1)[-1].split(': run')[0]}",
                f"{self.kindplane} setup",
            )
        return ok(title, f"v{shown(parse_version(text))} at {path}")

    # --- Docker and the registry container ------------------------------------------------

    def check_docker(self) -> CheckResult:
        from .docker_endpoint import EndpointError, current_endpoint
        from .docker_lookup import DockerUnavailable, docker_client
        from .docker_start import start_hint

        title = "Docker daemon reachable"
        try:
            endpoint = current_endpoint()
        except EndpointError as exc:
            return fail(title, str(exc))
        try:
            self.client = docker_client(endpoint)
        except DockerUnavailable as exc:
            return fail(title, str(exc), start_hint(endpoint))
        version = self.client.version().get("Version", "?")
        return ok(title, f"Docker {version} at {endpoint.describe()}")

    def check_same_daemon(self) -> CheckResult:
        """The `docker` CLI (what kind and the program's commands run) must reach kindplane's daemon."""
        from .docker_daemon import daemon_identity, daemon_seen_by_cli, endpoint_problem, is_podman, same_daemon
        from .docker_endpoint import current_endpoint

        title = "docker CLI on the same daemon"
        endpoint = current_endpoint()
        version = self.docker.version()
        apart = endpoint_problem(endpoint, version)
        if apart:
            return fail(title, apart)
        info = self.docker.info()
        ours = daemon_identity(info, is_podman(version))
        theirs = daemon_seen_by_cli(endpoint)
        if same_daemon(ours, theirs.daemon_id, is_podman(version)):
            return ok(title, f"{theirs.cli} reaches the same daemon (data in {info.get('DockerRootDir')})")
        return fail(
            title,
            f"{theirs.cli} {theirs.problem or f'reaches daemon {theirs.daemon_id}'}, but kindplane reaches daemon "
            f"{ours} at {endpoint.describe()}: kind would make the nodes on one daemon and kindplane the registry on "
            f"another",
            theirs.fix,
        )

    def check_registry_container(self) -> CheckResult:
        from .docker_lookup import inspect_container
        from .registry.distribution_version import describe, running_container_version

        name = self.registry.name
        title = f"registry container {name} running"
        self.registry_attrs = attrs = inspect_container(self.docker, name)
        if attrs is None and self.registry.external:  # this stack never creates it: no command of ours brings it back
            return fail(
                title,
                f"no container named {name}; external: start it where it was made "
                f"(the owning stack's `kindplane up`, or kind's registry script)",
            )
        detail = ""
        if attrs is not None and (attrs.get("State") or {}).get("Running"):
            image = (attrs.get("Config") or {}).get("Image", "?")
            detail = f"{image} ({describe(running_container_version(self.docker, attrs))}), "
        return container_running(title, name, "registry", attrs, f"{self.kindplane} up", detail)

    def check_registry_api(self) -> CheckResult:
        from .registry.http_api import RegistryClient, RegistryError, RegistryUnreachable

        address = registry_host_address(self.registry)
        title = f"GET http://{address}/v2/"
        auth = self.registry.auth
        if auth is not None and self.login is None:
            return fail(
                title,
                f"registry.auth asks for a password and {auth.password_env} is not set",
                f"export {auth.password_env}=<the registry's password>",
            )
        try:
            with RegistryClient(address, timeout=5, auth=self.login) as client:
                client.ping()
                self.registry_answers = True
                count = f"{len(client.repositories())} image(s)"
        except RegistryUnreachable:
            return fail(title, f"nothing answers on {address}", self._registry_api_fix())
        except RegistryError as exc:
            if self.registry_answers:
                return ok(title, f"HTTP 200, image count unknown ({exc})")
            return fail(title, str(exc), self._registry_api_fix())
        return ok(title, f"HTTP 200, {count}")

    def _registry_api_fix(self) -> str:
        name, attrs = q(self.registry.name), self.registry_attrs
        if attrs is None:
            return f"{self.kindplane} up"
        if not (attrs.get("State") or {}).get("Running"):
            return f"docker start {name}"
        if not any(port == self.registry.port for _, port in _published(attrs)) and not self.registry.external:
            return f"docker rm -f {name} && {self.kindplane} up"
        return f"docker restart {name}"

    def check_kind_network(self) -> CheckResult:
        import docker

        name, network = self.registry.name, kind_network()
        title = f"registry on the {network!r} network"
        try:
            self.docker.networks.get(network)
        except docker.errors.NotFound:
            return fail(title, f"no {network!r} network: the kind cluster was never created", f"{self.kindplane} up")
        if self.registry_attrs is None:
            return skip(title, "no registry container")
        return on_network(title, name, self.registry_attrs, network, registry_cluster_address(self.registry))

    def check_loopback_only(self) -> CheckResult:
        port, address = self.registry.port, self.registry.listen_address  # cluster.registry.listenAddress
        title = f"registry published on {address}:{port} only"
        if self.registry_attrs is None:
            return skip(title, "no registry container")
        if self.registry.external:
            return skip(title, "external: its owner chose where it is published")
        published = _published(self.registry_attrs)
        wanted = [(address, port)]
        if published == wanted:
            return ok(title)
        shown = ", ".join(f"[{ip}]:{p}" if ":" in ip else f"{ip}:{p}" for ip, p in published) or "nothing"
        why = (
            "reachable from other machines"
            if any(ip not in (LOOPBACK, address) for ip, _ in published)
            else "not the configured port"
        )
        # `docker rm -f` keeps the volume the images live in: up recreates the container on it.
        return fail(title, f"publishes {shown} ({why})", f"docker rm -f {q(self.registry.name)} && {self.kindplane} up")

    # --- kind nodes -----------------------------------------------------------------------

    def check_nodes(self) -> list[CheckResult]:
        from .docker_lookup import inspect_container

        nodes = node_names(self.cluster)
        found = {n: inspect_container(self.docker, n) for n in nodes}
        if not any(found.values()):
            return [
                fail(
                    "kind nodes",
                    f"no node containers for cluster {self.cluster.name!r} ({', '.join(nodes)})",
                    f"{self.kindplane} up",
                )
            ]
        results = []
        for node, attrs in found.items():
            if attrs is None:
                results.append(
                    fail(f"node {node}", "container missing", f"{self.kindplane} down && {self.kindplane} up")
                )
            elif not (attrs.get("State") or {}).get("Running"):
                results.append(fail(f"node {node}", "container not running", f"docker start {q(node)}"))
            else:
                results.append(ok(f"node {node}", "running"))
                if self.registry.enabled:
                    results.append(self.check_hosts_toml(node))
                    results.append(self.check_config_path(node))
        return results

    def check_hosts_toml(self, node: str) -> CheckResult:
        title = f"{node}: hosts.toml"
        if self.registry.auth is not None and self.login is None:
            return skip(title, f"its Authorization header needs {self.registry.auth.password_env}, which is not set")
        expected = hosts_toml(self.registry, self.authorization)
        # With registry.auth the file holds the credentials: shown and fixed without them.
        secret = self.authorization is not None
        problems = []
        for directory in hosts_dirs(self.registry):
            path = f"{directory}/hosts.toml"
            text = read_container_file(self.docker, node, path)
            if text is None:
                problems.append(f"{path} missing")
            elif text.strip() != expected.strip():
                shown = "" if secret else f" (has {text.strip()!r}, expected {expected.strip()!r})"
                problems.append(f"{path} differs{shown}")
        if problems:
            fix = f"{self.kindplane} up" if secret else _write_hosts_fix(node, self.registry)
            return fail(title, "; ".join(problems), fix)
        shown = hosts_toml(self.registry).strip() + (" with the Authorization header" if secret else "")
        return ok(title, f"{len(hosts_dirs(self.registry))} files, {shown}")

    def check_config_path(self, node: str) -> CheckResult:
        title = f"{node}: containerd config_path"
        read = read_container_file(self.docker, node, CONTAINERD_CONFIG)
        recreate = f"{self.kindplane} down && {self.kindplane} up"
        if read is None:
            return fail(title, f"cannot read {CONTAINERD_CONFIG}: it is not there", recreate)
        text = read
        try:
            found = containerd_config_path(text)
        except tomllib.TOMLDecodeError as exc:
            return fail(title, f"{CONTAINERD_CONFIG} is not valid TOML: {exc}", recreate)
        if found == CERTS_DIR:
            return ok(title, f"config_path = {CERTS_DIR!r}")
        detail = f"config_path is {found!r}" if found else "config_path not set"
        return fail(
            title,
            f"{detail} in {CONTAINERD_CONFIG}; containerd ignores hosts.toml (kind applies the patch only at create)",
            recreate,
        )

    # --- Kubernetes -----------------------------------------------------------------------

    def check_configmap(self) -> CheckResult:
        """Read through the API server kind reports for the cluster now (no kubectl needed)."""
        from .kube_api import KubeUnreachable, get
        from .wiring_readback import CONFIGMAP_PATH, live_kubeconfig

        context = kube_context(self.cluster.name)
        title = f"ConfigMap {CONFIGMAP_NAMESPACE}/{CONFIGMAP_NAME}"
        fix = f"{self.kindplane} up"  # up reads it back and writes it again
        live = live_kubeconfig(self.cluster.name)
        if live is None:
            return skip(title, f"kind gives no kubeconfig for cluster {self.cluster.name}")
        try:
            status, body = get(live, CONFIGMAP_PATH, timeout=API_TIMEOUT)
        except KubeUnreachable:
            return skip(title, f"cluster {context} did not answer")
        if status == 404:
            return fail(title, "missing", fix)
        if status != 200:
            return skip(title, f"cluster {context} answered HTTP {status}")
        return configmap_result(title, dict(body.get("data") or {}), local_registry_hosting(self.registry), fix)

    # --- one image reference --------------------------------------------------------------

    def check_image(self, image: ImageRef) -> list[CheckResult]:
        return [self.check_reference(image), self.check_image_present(image)]

    def check_reference(self, image: ImageRef) -> CheckResult:
        title = f"reference {image}"
        host = registry_host_address(self.registry)
        exact = image.on(host) if not image.digest else f"{host}/{image.path}@{image.digest}"
        implied = "" if image.tag or image.digest else " (no tag means :latest)"
        if image.host == host:
            return ok(title, f"pulls from the local registry{implied}")
        if image.host == registry_cluster_address(self.registry):
            return ok(
                title,
                f"pulls from the local registry through the nodes' hosts.toml{implied}; from the host push to {exact}",
            )
        if image.host is None:
            where = "Docker Hub (docker.io)"
        elif image.host.split(":")[0] in ("localhost", "127.0.0.1"):
            where = f"{image.host}, which is not the registry (it serves {host})"
        else:
            where = f"the remote registry {image.host}"
        return fail(title, f"nodes would pull this from {where}; use exactly {exact}")

    def check_image_present(self, image: ImageRef) -> CheckResult:
        from .registry.http_api import RegistryClient, RegistryError, RepositoryNotFound, TagNotFound

        reference = image.digest or image.tag_or_default
        shown = f"{image.path}@{reference}" if image.digest else f"{image.path}:{reference}"
        title = f"{shown} in the registry"
        if not self.registry_answers:
            return skip(title, "the registry does not answer")
        push = f"{self.kindplane} registry push {q(f'{image.path}:{image.tag_or_default}')}"
        try:
            with RegistryClient(registry_host_address(self.registry), auth=self.login) as client:
                if image.digest:
                    manifest = client.manifest(image.path, image.digest)
                    return ok(title, f"{manifest.media_type}")
                tags = client.tags(image.path)
                if reference not in tags:
                    listed = ", ".join(tags) if tags else "none"
                    return fail(title, f"repository {image.path} has no tag {reference!r} (tags: {listed})", push)
                manifest = client.manifest(image.path, reference)
        except RepositoryNotFound:
            return fail(title, f"no repository {image.path!r} in the registry", push)
        except TagNotFound:
            return fail(title, f"{shown} not found", None if image.digest else push)
        except RegistryError as exc:
            return fail(title, str(exc))
        return ok(title, f"digest {manifest.digest}")


# --- pure helpers (unit-tested on their own) ---------------------------------------------------


def containerd_config_path(text: str) -> Optional[str]:
    """The CRI registry config_path in a containerd config.toml, either version's table."""
    document = tomllib.loads(text)
    for table in CRI_REGISTRY_TABLES:
        node: Any = document
        for key in table:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get("config_path"):
            return node["config_path"]
    return None


def configmap_result(title: str, data: dict, expected: dict, fix: str) -> CheckResult:
    if data == expected:
        return ok(title, "matches the registry")
    differing = sorted(k for k in set(data) | set(expected) if data.get(k) != expected.get(k))
    return fail(title, f"differs from what kindplane writes in: {', '.join(differing)}", fix)


def _write_hosts_fix(node: str, registry: RegistryConfig) -> str:
    """The same write `kindplane up` does, with hosts.toml fed by printf instead of stdin."""
    lines = " ".join(q(line) for line in hosts_toml(registry).splitlines())
    return f"printf '%s\\n' {lines} | {render_commands.write_hosts_toml(node, registry)}"


def _published(attrs: dict) -> list[tuple[str, int]]:
    """(host IP, host port) pairs publishing the registry port; live ones when running."""
    key = f"{REGISTRY_CONTAINER_PORT}/tcp"
    live = ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(key)
    bindings = live if live else port_bindings(attrs)
    return [(b.get("HostIp") or "0.0.0.0", int(b.get("HostPort") or 0)) for b in bindings or []]


def run_doctor(
    config: KindplaneConfig,
    image: Optional[ImageRef] = None,
    kindplane: Sequence[str] = ("kindplane",),
    login: Optional[tuple[str, str]] = None,
) -> list[CheckResult]:
    """`login`: registry.auth's credentials (core.credentials.local_registry_credentials)."""
    return Doctor(config, kindplane=" ".join(q(a) for a in kindplane), login=login).run(image)


def run_tool_checks(kindplane: Sequence[str] = ("kindplane",)) -> list[CheckResult]:
    """doctor and status without a kindplane.yaml: the checks that need none."""
    return Doctor(None, kindplane=" ".join(q(a) for a in kindplane)).run_tools()
