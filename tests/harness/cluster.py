"""Stand-in kind clusters: create/delete through the `kind` stand-in, then look inside nodes."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from typing import Optional, Sequence

from .docker_env import docker
from .shell import run_shell
from .standin_kind import CLUSTER_LABEL, NETWORK, ROLE_LABEL

# Where the CRI plugin's registry settings live in containerd's effective config: containerd 2
# (config version 3, what it migrates a kind node's version-2 config to) and containerd 1.x.
CRI_REGISTRY_TABLES = (
    ("plugins", "io.containerd.cri.v1.images", "registry"),
    ("plugins", "io.containerd.grpc.v1.cri", "registry"),
)


class StandinError(RuntimeError):
    pass


@dataclass
class StandinCluster:
    name: str

    def nodes(self) -> list[str]:
        """Every container kind would list for the cluster (load balancer included), sorted."""
        return cluster_containers(self.name)

    def containerd_nodes(self) -> list[str]:
        return [n for n in self.nodes() if not n.endswith("-external-load-balancer")]

    def exec(self, node: str, argv: Sequence[str], stdin: Optional[str] = None) -> subprocess.CompletedProcess:
        """`docker exec [-i] NODE ARGV…`; returns the result whatever the exit code."""
        flags = ["-i"] if stdin is not None else []
        return docker("exec", *flags, node, *argv, input=stdin, check=False)

    def read_file(self, node: str, path: str) -> bytes:
        result = subprocess.run(["docker", "exec", node, "cat", path], capture_output=True)
        if result.returncode != 0:
            raise StandinError(f"cannot read {path} on {node}: {result.stderr.decode(errors='replace')}")
        return result.stdout

    def ctr_fetch(
        self, node: str, ref: str, hosts_dir: Optional[str] = "/etc/containerd/certs.d"
    ) -> subprocess.CompletedProcess:
        """`ctr content fetch [--hosts-dir DIR] REF` inside the node (what a pull's resolve+fetch does)."""
        argv = ["ctr", "content", "fetch"] + (["--hosts-dir", hosts_dir] if hosts_dir else []) + [ref]
        return self.exec(node, argv)

    def effective_containerd_config(self, node: str) -> dict:
        """`containerd config dump` on the node: the config containerd runs with, read by its own
        loader from the node's config.toml (a version-2 file migrated in memory by containerd 2)."""
        dumped = self.exec(node, ["containerd", "--config", "/etc/containerd/config.toml", "config", "dump"])
        if dumped.returncode != 0:
            raise StandinError(f"containerd config dump failed on {node}: {dumped.stderr[-2000:]}")
        return tomllib.loads(dumped.stdout)

    def cri_registry_config_path(self, node: str) -> Optional[str]:
        """The registry config_path of containerd's CRI image service ("" when unset), as
        containerd's own loader sees the node's config; None when there is no CRI registry table."""
        config = self.effective_containerd_config(node)
        for table in CRI_REGISTRY_TABLES:
            found: object = config
            for key in table:
                found = found.get(key) if isinstance(found, dict) else None
            if isinstance(found, dict):
                return str(found.get("config_path", ""))
        return None

    def cri_fetch(self, node: str, ref: str) -> subprocess.CompletedProcess:
        """Fetch REF the way the node's CRI image service resolves it: through the hosts
        directory its config_path names (none when unset: then only the default, HTTPS on the
        name itself). A patch containerd does not apply shows here as a failed fetch."""
        return self.ctr_fetch(node, ref, self.cri_registry_config_path(node) or None)

    def delete(self) -> None:
        """`kind delete cluster` through the stand-in (idempotent)."""
        result = run_shell(f"kind delete cluster --name {self.name}")
        if result.returncode != 0:
            raise StandinError(f"kind delete cluster failed: {result.stderr}")


def cluster_containers(name: str) -> list[str]:
    out = docker("ps", "-a", "--filter", f"label={CLUSTER_LABEL}={name}", "--format", "{{.Names}}").stdout
    return sorted(out.split())


def node_roles(name: str) -> dict[str, str]:
    out = docker(
        "ps",
        "-a",
        "--filter",
        f"label={CLUSTER_LABEL}={name}",
        "--format",
        f'{{{{.Names}}}} {{{{.Label "{ROLE_LABEL}"}}}}',
    ).stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def create_cluster(name: str, kind_config_yaml: str) -> StandinCluster:
    """`kind create cluster --name NAME --config -` through the stand-in; raises on failure."""
    result = run_shell(f"kind create cluster --name {name} --config -", kind_config_yaml)
    if result.returncode != 0:
        raise StandinError(f"kind create cluster failed ({result.returncode}): {result.stderr}")
    return StandinCluster(name)


def ensure_kind_network() -> None:
    """The real `kind` network, as kind creates it; never removed by the harness (shared)."""
    if docker("network", "inspect", NETWORK, check=False).returncode != 0:
        created = docker("network", "create", NETWORK, check=False)
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise StandinError(created.stderr)
