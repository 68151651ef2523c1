"""Wiring drift: what an earlier `up` wrote that is no longer there, and how the same `up` puts
it back through Pulumi.

The hosts.toml writes and the network joins are commands: Pulumi records that they ran, never
what they wrote, so a file deleted on a node or a registry taken off the kind network is invisible
to `refresh`. kindplane.ops.wiring_readback reads the live facts (`Observed`); `find_drift` compares
them with what the config wires (pure, here); `Repairs` turns each drift into a changed input of
exactly the resource that repairs it — a counter in a command's environment (an in-place update:
the command runs again), in the cluster command's triggers (a missing node means a new cluster), in
an annotation of the ConfigMap. The counter is read back from the state, so once the repair ran
the next run asks for the same value: `preview` shows the repair before it happens and no change
after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ..config import ClusterConfig
from ..config.tls_files import NO_TLS_FILES, TlsFiles
from ..naming import node_names
from .containerd import hosts_dirs, hosts_toml, registry_ca_path
from .discovery import local_registry_hosting
from .pull_through import mirror_hosts_dir, mirror_hosts_toml
from .tls import TRUSTED_BUNDLE, node_tls_files

REPAIR_ENV = "KINDPLANE_REPAIR"  # in a command's environment: the shell ignores it
REPAIR_TRIGGER = "repair "  # an element of the cluster command's triggers: "repair <n>"
REPAIR_ANNOTATION = "kindplane.dev/repair"  # on the discovery ConfigMap


@dataclass(frozen=True)
class Observed:
    """What Docker and the cluster show of the wiring (kindplane.ops.wiring_readback gathers it)."""

    recorded_nodes: tuple[str, ...] = ()  # the nodes the state's cluster had; () before the first up
    nodes: Mapping[str, bool] = field(default_factory=dict)  # the cluster's node containers → running
    files: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # running node → {certs.d file path: text}
    networks: Mapping[str, frozenset[str]] = field(default_factory=dict)  # registry/mirror container → its networks
    configmap: Optional[Mapping[str, str]] = None  # its data as the cluster has it; None: not read
    configmap_missing: bool = False
    api_server_moved: Optional[str] = None  # the cluster answers at this other address (made again outside kindplane)


@dataclass(frozen=True)
class Drift:
    """Each piece of wiring that differs from what the config wires, in user's words by `lines`."""

    missing_nodes: tuple[str, ...] = ()
    hosts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # node → dirs whose hosts.toml is wrong
    off_network: tuple[str, ...] = ()  # registry/mirror containers off the kind network
    configmap: str = ""  # "", "missing" or "different"
    api_server_moved: Optional[str] = None
    network: str = "kind"

    def __bool__(self) -> bool:
        return bool(self.missing_nodes or self.hosts or self.off_network or self.configmap or self.api_server_moved)

    def hosts_drifted(self, node: str, dirs: list[str]) -> bool:
        return bool(set(self.hosts.get(node, ())) & set(dirs))

    def lines(self) -> list[str]:
        """One sentence per drift: what is wrong now and what `up` does about it."""
        found = [
            f"node {node} is gone (removed outside kindplane): up re-creates the cluster, after asking"
            for node in self.missing_nodes
        ]
        if self.api_server_moved:
            found.append(
                f"the cluster was made again outside kindplane (its API server is now at {self.api_server_moved}): "
                "up reads its kubeconfig again and wires it"
            )
        for node, dirs in sorted(self.hosts.items()):
            for directory in dirs:
                found.append(f"{node}: {directory}/hosts.toml is missing or changed: up writes it again")
        found += [f"{name} is not on the {self.network!r} network: up connects it again" for name in self.off_network]
        if self.configmap:
            found.append(f"the ConfigMap kube-public/local-registry-hosting is {self.configmap}: up writes it again")
        return found


@dataclass(frozen=True)
class RegistryFiles:
    """What the local registry's hosts.toml writes hold beyond kindplane.yaml: the HTTPS registry's
    CA (registry.tls, from its volume) and the Authorization header (registry.auth, from the
    environment); kindplane.program looks both up before the read-back compares."""

    ca: Optional[str] = None
    authorization: Optional[str] = None


NO_REGISTRY_FILES = RegistryFiles()


def expected_files(
    cluster: ClusterConfig, tls: TlsFiles = NO_TLS_FILES, registry: RegistryFiles = NO_REGISTRY_FILES
) -> dict[str, str]:
    """Every file kindplane writes under each node's certs.d → its text: the registry's hosts.toml
    (and its CA, with `tls`), each mirror's, the trusted bundle and each cluster.registries entry's
    files (core.render.tls). `tls`: the files the config names, read; `registry`: the HTTPS
    registry's CA and registry.auth's header. The kubelet's credentials file lies outside certs.d
    and is not read back."""
    files = {}
    if cluster.registry.enabled:
        text = hosts_toml(cluster.registry, registry.authorization)
        files.update({f"{d}/hosts.toml": text for d in hosts_dirs(cluster.registry)})
        if cluster.registry.tls and registry.ca:
            files[registry_ca_path(cluster.registry)] = registry.ca
    bundle = TRUSTED_BUNDLE if cluster.trusted_cas else None
    for mirror in cluster.mirrors:
        files[f"{mirror_hosts_dir(mirror)}/hosts.toml"] = mirror_hosts_toml(mirror, bundle)
    files.update({path: file.text for path, file in node_tls_files(cluster, tls).items()})
    return files


def find_drift(
    cluster: ClusterConfig,
    observed: Observed,
    network: str = "kind",
    tls: TlsFiles = NO_TLS_FILES,
    registry: RegistryFiles = NO_REGISTRY_FILES,
) -> Drift:
    """Compares the live facts with what `cluster` wires. Only what an earlier up made counts:
    before the first up (no recorded nodes) nothing has drifted."""
    if not observed.recorded_nodes:
        return Drift(network=network)
    missing = tuple(n for n in observed.recorded_nodes if n not in observed.nodes)
    wanted = expected_files(cluster, tls, registry)
    hosts: dict[str, tuple[str, ...]] = {}
    for node in node_names(cluster):
        found = observed.files.get(node)
        if found is None:  # not running (or not there): nothing can be read or written now
            continue
        wrong = tuple(
            dict.fromkeys(
                path.rsplit("/", 1)[0]
                for path, text in wanted.items()
                if (found.get(path) or "").strip() != text.strip()
            )
        )
        if wrong:
            hosts[node] = wrong
    joined = [cluster.registry.name] if cluster.registry.enabled else []
    joined += [m.name for m in cluster.mirrors]
    off = tuple(n for n in joined if n in observed.networks and network not in observed.networks[n])
    configmap = ""
    if cluster.registry.enabled:
        if observed.configmap_missing:
            configmap = "missing"
        elif observed.configmap is not None and dict(observed.configmap) != local_registry_hosting(cluster.registry):
            configmap = "different"
    return Drift(missing, hosts, off, configmap, observed.api_server_moved, network)


@dataclass(frozen=True)
class Repairs:
    """The repair counters the state records (resource name → count) and what drifted now."""

    recorded: Mapping[str, int] = field(default_factory=dict)
    drift: Drift = field(default_factory=Drift)

    def count(self, resource: str, drifted: bool) -> int:
        return self.recorded.get(resource, 0) + (1 if drifted else 0)

    def environment(self, resource: str, drifted: bool) -> Optional[dict[str, str]]:
        """A command's environment: None until its first repair (existing states stay unchanged)."""
        n = self.count(resource, drifted)
        return {REPAIR_ENV: str(n)} if n else None

    def triggers(self, resource: str, drifted: bool) -> list[str]:
        n = self.count(resource, drifted)
        return [f"{REPAIR_TRIGGER}{n}"] if n else []

    def annotations(self, resource: str, drifted: bool) -> dict[str, str]:
        n = self.count(resource, drifted)
        return {REPAIR_ANNOTATION: str(n)} if n else {}


NO_REPAIRS = Repairs()


def recorded_repairs(outputs_by_urn: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Resource name → the repair counter its recorded inputs carry ({urn: {"type", "outputs"}},
    as the engine's readStackResourceOutputs returns the state)."""
    found = {}
    for urn, resource in outputs_by_urn.items():
        outputs = resource.get("outputs") or {}
        values = [(outputs.get("environment") or {}).get(REPAIR_ENV)]
        values += [t[len(REPAIR_TRIGGER) :] for t in outputs.get("triggers") or [] if _is_repair_trigger(t)]
        values.append(((outputs.get("metadata") or {}).get("annotations") or {}).get(REPAIR_ANNOTATION))
        counts = [int(v) for v in values if isinstance(v, str) and v.isdigit()]
        if counts:
            found[urn.rsplit("::", 1)[-1]] = max(counts)
    return found


def _is_repair_trigger(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REPAIR_TRIGGER)
