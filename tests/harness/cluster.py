"""Stand-in kind clusters: create/delete through the `kind` stand-in, then look inside nodes."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Optional, Sequence

from .docker_env import docker
from .shell import run_shell
from .standin_kind import CLUSTER_LABEL, NETWORK, ROLE_LABEL

# containerd logs the CRI plugin's effective config at start; this is its registry config_path.
_CRI_CONFIG_PATH = re.compile(r"Registry:\{ConfigPath:(\S*) ")


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

    def cri_registry_config_path(self, node: str) -> Optional[str]:
        """The registry config_path containerd's CRI plugin started with (from its own log)."""
        logs = docker("logs", node, check=False)
        found = _CRI_CONFIG_PATH.findall(logs.stdout + logs.stderr)
        return found[-1] if found else None

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
