"""The real Pulumi engine on a copy of this project, used exactly as users use it.

`EngineProject` is a folder with the repository's own Pulumi.yaml and __main__.py (the backend
pointed at a folder of the test's own), one stack file under stacks/ naming one kindplane.yaml.
Tests run `pulumi up/preview/destroy` and `kindplane up/down` in it as subprocesses, with the
toolchain from tests/harness/toolchain.sh first on PATH and the `kind` stand-in before it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from kindplane.core.naming import data_volume_name

from .docker_env import docker, in_ci
from .shell import BIN_DIR

REPO = Path(__file__).resolve().parents[2]
TOOLCHAIN = REPO / "tests" / "harness" / "toolchain.sh"
ENGINE_BINARIES = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec", "etcd", "kube-apiserver")
VERSIONS = REPO / "tests" / "harness" / "toolchain" / "versions.env"
# The providers live in PULUMI_HOME's plugin cache (toolchain.sh install_plugins), not on PATH.
PROVIDER_VERSIONS = {
    "command": "PULUMI_COMMAND_VERSION",
    "docker": "PULUMI_DOCKER_VERSION",
    "kubernetes": "PULUMI_KUBERNETES_VERSION",
}


def missing_plugins() -> list[str]:
    pinned = dict(
        line.split("=", 1) for line in VERSIONS.read_text().splitlines() if line[:1].isupper() and "=" in line
    )
    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    return [
        f"{name} {pinned[var]}"
        for name, var in PROVIDER_VERSIONS.items()
        if not (home / "plugins" / f"resource-{name}-v{pinned[var]}").is_dir()
    ]


TIMEOUT = 600


def load_toolchain_env() -> Optional[str]:
    """Puts the cached toolchain on this process's PATH; the problem in words when it can't."""
    if not os.environ.get("KINDPLANE_TOOLCHAIN_READY"):
        result = subprocess.run(["bash", str(TOOLCHAIN), "cached-env"], capture_output=True, text=True)
        if result.returncode != 0:
            return (
                "the real-engine toolchain is not built: run `bash tests/harness/toolchain.sh build` "
                f"(see docs/contributing.md, 'The real engine in the tests'): {result.stderr.strip().splitlines()[-1:] or ''}"
            )
        for line in result.stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            os.environ[key] = os.path.expandvars(value.strip('"'))
    missing = [b for b in ENGINE_BINARIES if shutil.which(b) is None] + missing_plugins()
    if missing:
        return f"not on PATH: {', '.join(missing)} (bash tests/harness/toolchain.sh build)"
    return None


def require_engine() -> None:
    """Skip (locally) or fail (CI=true) when the real engine cannot run."""
    import pytest

    problem = load_toolchain_env()
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"CI=true but the real engine is unusable: {problem}", pytrace=False)
    pytest.skip(problem)


@dataclass
class EngineProject:
    root: Path
    stack: str
    config_path: Path
    kindplane_home: Path
    log: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)  # every kindplane.yaml text it was given

    # --- running things --------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PATH": f"{BIN_DIR}{os.pathsep}{env['PATH']}",  # the kind stand-in wins over any kind
                "PULUMI_CONFIG_PASSPHRASE": "",
                "PULUMI_PYTHON_CMD": sys.executable,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "KINDPLANE_HOME": str(self.kindplane_home),
                "KINDPLANE_HARNESS_APISERVER": "1",  # the program applies the ConfigMap
                "NO_COLOR": "1",
                # The program and `python -m kindplane` import this checkout's package, never whatever
                # checkout an editable install last pointed at (worktrees, CI clones).
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            }
        )
        env.pop("PULUMI_BACKEND_URL", None)
        env.update(extra)
        return env

    def run(
        self, argv: list[str], check: bool = True, env: Optional[dict] = None, input: Optional[str] = None
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            argv, cwd=self.root, env=env or self.env(), capture_output=True, text=True, timeout=TIMEOUT, input=input
        )
        self.log.append(f"$ {' '.join(argv)}\n[exit {result.returncode}]\n{result.stdout}\n{result.stderr}")
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n"
                f"--- stderr\n{result.stderr[-4000:]}"
            )
        return result

    def pulumi(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
        return self.run(
            ["pulumi", *args, "--stack", self.stack, "--non-interactive", "--color", "never"],
            check=check,
            env=self.env(**extra),
        )

    def kindplane(
        self, *args: str, check: bool = True, input: Optional[str] = None, **extra: str
    ) -> subprocess.CompletedProcess:
        return self.run([sys.executable, "-m", "kindplane", *args], check=check, input=input, env=self.env(**extra))

    def up(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.pulumi("up", "--yes", "--skip-preview", *args, **kw)

    def destroy(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.pulumi("destroy", "--yes", "--skip-preview", *args, **kw)

    def init_stack(self) -> None:
        self.run(["pulumi", "stack", "init", self.stack, "--non-interactive"])

    # --- reading the state -------------------------------------------------------------------

    def export(self) -> dict:
        out = self.run(["pulumi", "stack", "export", "--stack", self.stack, "--show-secrets"]).stdout
        return json.loads(out)

    def resources(self) -> list[dict]:
        return list((self.export().get("deployment") or {}).get("resources") or [])

    def managed_resources(self) -> list[dict]:
        """What `pulumi stack` counts as the stack's resources (no root stack, no providers)."""
        return [
            r
            for r in self.resources()
            if r["type"] != "pulumi:pulumi:Stack" and not r["type"].startswith("pulumi:providers:")
        ]

    def outputs(self) -> dict:
        out = self.run(["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", self.stack]).stdout
        return json.loads(out or "{}")

    def write_config(self, text: str) -> None:
        self.configs.append(text)
        self.config_path.write_text(text)

    # --- teardown without the engine --------------------------------------------------------

    def names_used(self) -> Names:
        """Every cluster, container and volume this project's kindplane.yaml texts named (explicit
        names only: a default like kind-registry may be a developer's own) or its states hold."""
        names = Names()
        for text in [*self.configs, self.config_path.read_text() if self.config_path.exists() else ""]:
            names.add_config(text)
        for checkpoint in [
            *self.state_dir.glob(".pulumi/stacks/*/*.json"),
            *self.kindplane_home.glob("**/.pulumi/stacks/*/*.json"),
        ]:
            names.add_checkpoint(checkpoint)
        return names

    def remove_everything(self) -> None:
        """What a destroy would remove, and what persistence keeps, gone by name: a test's teardown
        asserts nothing, so it need not pay an engine run. The state is left as it is."""
        self.names_used().remove()

    @property
    def state_dir(self) -> Path:
        """The project's file backend (make_project puts it beside the project folder)."""
        return self.root.parent / "state"

    def spawn_kindplane(self, *args: str, **extra: str) -> subprocess.Popen:
        """`kindplane ARGS` in the background (its own session, so a signal reaches it alone).
        Ctrl-C is restored to its default: a suite started as a background job of a shell without
        job control inherits SIGINT ignored, and so would kindplane."""
        return subprocess.Popen(
            [sys.executable, "-m", "kindplane", *args],
            cwd=self.root,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )


@dataclass
class Names:
    clusters: set[str] = field(default_factory=set)
    containers: set[str] = field(default_factory=set)
    volumes: set[str] = field(default_factory=set)

    def add_config(self, text: str) -> None:
        try:
            spec = (yaml.safe_load(text) or {}).get("cluster") or {}
        except (yaml.YAMLError, AttributeError):
            return
        if not isinstance(spec, dict):
            return
        if isinstance(spec.get("name"), str):
            self.clusters.add(spec["name"])
        registry = spec.get("registry")
        if isinstance(registry, dict) and isinstance(registry.get("name"), str):
            self.containers.add(registry["name"])
        for mirror in spec.get("mirrors") or []:
            if isinstance(mirror, dict) and isinstance(mirror.get("name"), str):
                self.containers.add(mirror["name"])

    def add_checkpoint(self, path: Path) -> None:
        try:
            checkpoint = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        latest = (checkpoint.get("checkpoint") or {}).get("latest") or {} if isinstance(checkpoint, dict) else {}
        for resource in latest.get("resources") or []:
            name = (resource.get("outputs") or {}).get("name")
            if not isinstance(name, str):
                continue
            kind = resource.get("type")
            if kind == "docker:index/container:Container":
                self.containers.add(name)
            elif kind == "docker:index/volume:Volume":
                self.volumes.add(name)
            elif kind == "kindplane:index:KindCluster":
                self.clusters.add(name)

    def remove(self) -> None:
        for cluster in sorted(self.clusters):
            remove_cluster(cluster)
        if self.containers:
            docker("rm", "-f", "-v", *sorted(self.containers), check=False)
        for volume in sorted(self.volumes | {data_volume_name(name) for name in self.containers}):
            docker("volume", "rm", volume, check=False)


def remove_cluster(name: str) -> None:
    """The stand-in's delete: the nodes and the cluster's API server."""
    subprocess.run(
        ["kind", "delete", "cluster", "--name", name],
        capture_output=True,
        env={**os.environ, "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}"},
    )


def make_project(tmp: Path, stack: str, config_text: str) -> EngineProject:
    """A copy of this project in `tmp`: same Pulumi.yaml and __main__.py, its own file backend."""
    root = tmp / "project"
    (root / "stacks").mkdir(parents=True)
    settings = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    state = tmp / "state"
    state.mkdir()
    settings["backend"] = {"url": state.as_uri()}
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    shutil.copy(REPO / "__main__.py", root / "__main__.py")
    config_path = root / "stacks" / f"{stack}.kindplane.yaml"
    stack_file = {"config": {"kindplane:configFile": f"stacks/{stack}.kindplane.yaml"}}
    (root / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(stack_file))
    project = EngineProject(root, stack, config_path, tmp / "kindplane-home")
    project.write_config(config_text)
    return project


def engine_config(
    cluster: str, registry: str, port: int, persistent: bool = False, control_planes: int = 1, workers: int = 1
) -> str:
    return (
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: {control_planes}, workers: {workers}}}\n"
        f"  registry: {{enabled: true, name: {registry}, port: {port}, persistent: {str(persistent).lower()}}}\n"
    )


def container_id(name: str) -> Optional[str]:
    result = docker("inspect", "-f", "{{.Id}}", name, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def volume_exists(name: str) -> bool:
    return docker("volume", "inspect", name, check=False).returncode == 0


def on_default_daemon(cluster: str, registry: str) -> list[str]:
    """The cluster's nodes and the registry, if the harness's own daemon has them (tests that run
    kindplane against another daemon: a Docker context, Podman)."""
    found = docker(
        "ps", "-a", "--filter", f"label=io.x-k8s.kind.cluster={cluster}", "--format", "{{.Names}}"
    ).stdout.split()
    return found + ([registry] if container_id(registry) else [])
