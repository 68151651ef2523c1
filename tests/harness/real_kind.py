"""kind itself (sigs.k8s.io/kind, built by the toolchain's `kind` piece), for what only kind's own
code can say: whether it loads and validates a config, how it turns it into node containers, how
it patches containerd's config.

`check_config` runs the real `kind create cluster --name N --config -` with a fake `docker` first
on PATH (harness/bin-fake-docker/docker): it answers what kind asks before and while provisioning
(`docker -v`, `info`, `ps`, image `inspect`, `network …`), records every `docker run` kind
issues, and fails anything after that. So kind's loader (strict YAML, apiVersion/kind), its
defaulting and `Validate()` run unchanged, and a config that passes them reaches `docker run` for
every node; no container is made and no real daemon is asked.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

TOOLCHAIN = Path(__file__).resolve().parent / "toolchain.sh"
FAKE_DOCKER_DIR = Path(__file__).resolve().parent / "bin-fake-docker"
FAKE_DOCKER_LOG_ENV = "KINDPLANE_FAKE_DOCKER_LOG"
FAKE_DOCKER_RUNS_ENV = "KINDPLANE_FAKE_DOCKER_RUNS"


class KindMissing(RuntimeError):
    pass


def kind_bin_dir(build: bool = True) -> Path:
    """The toolchain's `kind` piece (kind, kindplane-containerd-patch, kind-base-containerd.toml),
    built on first use (about a minute) like the registry:3 binary."""
    found = subprocess.run(["bash", str(TOOLCHAIN), "path", "kind"], capture_output=True, text=True)
    if found.returncode != 0 and build:
        built = subprocess.run(["bash", str(TOOLCHAIN), "build", "kind"], capture_output=True, text=True)
        found = subprocess.run(["bash", str(TOOLCHAIN), "path", "kind"], capture_output=True, text=True)
        if found.returncode != 0:
            raise KindMissing(f"building the toolchain's kind piece failed: {built.stderr[-3000:]}")
    if found.returncode != 0:
        raise KindMissing("the toolchain's kind piece is not built (bash tests/harness/toolchain.sh build kind)")
    return Path(found.stdout.strip())


@dataclass
class KindCheck:
    returncode: int
    output: str  # kind's stderr and stdout
    runs: list[list[str]]  # the argv of every `docker run` kind issued, one per node container

    def run_of(self, container: str) -> list[str]:
        [argv] = [argv for argv in self.runs if f"--name={container}" in argv or container in argv]
        return argv


def containers_planned(config_yaml: str) -> int:
    """How many containers kind makes for this config: one per node (kind's default is one
    control plane), plus a load balancer when there are several control planes."""
    try:
        nodes = (yaml.safe_load(config_yaml) or {}).get("nodes") or [{}]
    except (yaml.YAMLError, AttributeError):
        return 0  # kind's own loader will say what is wrong
    control_planes = sum(1 for node in nodes if node.get("role", "control-plane") == "control-plane")
    return len(nodes) + (1 if control_planes > 1 else 0)


def check_config(config_yaml: str, name: str) -> KindCheck:
    """`kind create cluster --name NAME --config -` (stdin: the config) against the fake docker,
    which holds kind's first call after a `docker run` until every planned container's run came
    (kind makes nodes concurrently and stops at the first failure)."""
    kind = kind_bin_dir() / "kind"
    with tempfile.TemporaryDirectory(prefix="kp-kind-check-") as tmp:
        log = Path(tmp) / "docker.jsonl"
        env = {
            "PATH": f"{FAKE_DOCKER_DIR}{os.pathsep}/usr/bin:/bin",
            "HOME": tmp,
            "KUBECONFIG": str(Path(tmp) / "kubeconfig"),
            FAKE_DOCKER_LOG_ENV: str(log),
            FAKE_DOCKER_RUNS_ENV: str(containers_planned(config_yaml)),
        }
        done = subprocess.run(
            [str(kind), "create", "cluster", "--name", name, "--config", "-"],
            input=config_yaml,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    runs = [argv for argv in calls if argv[:1] == ["run"]]
    return KindCheck(done.returncode, done.stderr + done.stdout, runs)


def patch_containerd_config(base: str, patches: list[str], patches_json6902: list[str] | None = None) -> str:
    """kind's own patch.ContainerdTOML over `base`; RuntimeError with kind's message on failure."""
    tool = kind_bin_dir() / "kindplane-containerd-patch"
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as handle:
        handle.write(base)
        handle.flush()
        done = subprocess.run(
            [str(tool), handle.name],
            input=json.dumps({"patches": patches, "patchesJSON6902": patches_json6902 or []}),
            capture_output=True,
            text=True,
            timeout=60,
        )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return done.stdout


def kind_base_containerd_config() -> str:
    """images/base/files/etc/containerd/config.toml of sigs.k8s.io/kind at the toolchain's KIND_VERSION."""
    return (kind_bin_dir() / "kind-base-containerd.toml").read_text()
