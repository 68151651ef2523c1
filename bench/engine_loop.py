"""Bench: kindplane's inner loop (`up`, a no-op `up`, `down`) against the floors a user could get.

Side by side in one run, each row N times (N ≥ 5), the rows taking turns round by round:
- kind's registry script path for the same cluster (1 control plane + 1 worker): `docker run`
  of the registry, `kind create cluster` with the containerd patch, hosts.toml per node
  (`docker exec`), `docker network connect kind`; and its delete: `kind delete cluster` +
  `docker rm -f` — the floor a peer pays. (The script's `kubectl apply` of the ConfigMap is not
  run: kubectl is not on this machine; kindplane's rows include the ConfigMap.)
- the loops a user runs, each through kindplane and through the bare Pulumi door on the same stack
  and program (the fair floor: what remains is kindplane's own cost), the two doors taking turns
  which goes first: a fresh `up` (`pulumi up`), a no-op `up` (`pulumi up --refresh`) twice — the
  first after an engine run, whose outputs kindplane reads once, then again as a user re-runs
  `up` — a config change the plan check reads — the registry's port (`pulumi up --refresh`), and
  `down --force` (`pulumi destroy`); goal ≤ 1.1× the door on each, ≤ 0.3× on the no-ops (verified
  without the engine);
- a no-op `pulumi up` of an empty Python program on the same toolchain: the engine's floor;
- `python -c "import pulumi"`, `kindplane validate`, `kindplane config kind` (start-up);
- each provider plugin's start-up alone (spawn → port printed), and kindplane's own breakdown of
  `up` (the `timings` of `kindplane up -o json`): CLI start, preflight and Docker look-ups, each
  engine run, program evaluation — so the gap to the floor has names.

The cluster is the `kind` stand-in (tests/harness): real node containers with containerd and a
real etcd + kube-apiserver per cluster, but no kubelet. Figures for Docker, the engine and the
providers carry over to real kind; the create and delete of the cluster itself do not (real kind
boots kubelet and the control plane: tens of seconds that kindplane and the script pay alike).

    python bench/engine_loop.py [--reps 5]

Needs Docker (bash tests/harness/ensure_docker.sh start) and the real-engine toolchain
(bash tests/harness/toolchain.sh build).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]

from _stats import MIN_REPS, summarize, table  # noqa: E402
from harness.cluster import ensure_kind_network  # noqa: E402
from harness.docker_env import docker, docker_problem  # noqa: E402
from harness.engine import EngineProject, load_toolchain_env, make_project, remove_cluster  # noqa: E402
from harness.images import ensure_node_image, ensure_registry_image  # noqa: E402
from harness.names import free_port, unique_name  # noqa: E402
from harness.registry import remove_registry  # noqa: E402
from harness.shell import standin_env  # noqa: E402
from harness.standin_kind import NODE_IMAGE_ENV  # noqa: E402

from kindplane.core.config import parse_config  # noqa: E402
from kindplane.core.naming import node_names  # noqa: E402
from kindplane.core.render.containerd import hosts_dirs, hosts_toml  # noqa: E402
from kindplane.core.render.kind_config import kind_config_yaml  # noqa: E402

PROVIDERS = ("command", "docker", "kubernetes")


def config_text(cluster: str, registry: str, port: int) -> str:
    return (
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n"
        f"  registry: {{enabled: true, name: {registry}, port: {port}}}\n"
    )


def timed(argv: list[str], env: dict, cwd: Path, stdin: Optional[str] = None) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run(argv, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return elapsed, result.stdout


def quiet_ports(count: int, start: int = 21000) -> list[int]:
    """Free ports below Linux's ephemeral range (32768-60999): the loops free and take the
    registry's ports again and again, and an ephemeral port freed meanwhile can go to a stand-in
    cluster's etcd or kube-apiserver (free_port() asks the kernel for one of those)."""
    import socket

    found: list[int] = []
    for port in range(start, 32768):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"no {count} free ports in {start}-32767")


def remove_leftovers(cluster: str, registry: str) -> None:
    """What a failed round may leave: the stand-in cluster, the registry and its volume."""
    remove_cluster(cluster)
    remove_registry(registry)


class ScriptPath:
    """kind's registry script, step by step, with kindplane's own renderings (same bytes)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cluster, self.registry, self.port = unique_name("kpb-script"), unique_name("kpb-sreg"), free_port()
        spec = parse_config(config_text(self.cluster, self.registry, self.port)).cluster
        self.kind_config = kind_config_yaml(spec)
        self.nodes = node_names(spec)
        self.dirs = hosts_dirs(spec.registry)
        self.hosts_toml = hosts_toml(spec.registry)
        self.env = standin_env()

    def create(self) -> float:
        started = time.monotonic()
        docker(
            "run",
            "-d",
            "--restart=always",
            "-p",
            f"127.0.0.1:{self.port}:5000",
            "--network",
            "bridge",
            "--name",
            self.registry,
            "registry:2",
        )
        timed(
            ["kind", "create", "cluster", "--name", self.cluster, "--config", "-"],
            self.env,
            self.workdir,
            stdin=self.kind_config,
        )
        script = "; ".join(
            f"mkdir -p {d} && cat > {d}/hosts.toml" if i == 0 else f"mkdir -p {d} && cp {self.dirs[0]}/hosts.toml {d}/"
            for i, d in enumerate(self.dirs)
        )
        for node in self.nodes:
            docker("exec", "-i", node, "sh", "-c", script, input=self.hosts_toml)
        docker("network", "connect", "kind", self.registry)
        return time.monotonic() - started

    def delete(self) -> float:
        started = time.monotonic()
        timed(["kind", "delete", "cluster", "--name", self.cluster], self.env, self.workdir)
        docker("rm", "-f", self.registry)
        return time.monotonic() - started

    def cleanup(self) -> None:
        remove_leftovers(self.cluster, self.registry)


class Walk:
    """One door's loop on the bench stack: fresh up, no-op up (the first after an engine run, then
    one more, as a user re-runs `up`), a config change, down."""

    LOOPS = ("fresh up", "no-op up", "no-op up again", "config change", "down")
    GOALS = {"no-op up": "goal ≤ 0.3×", "no-op up again": "goal ≤ 0.3×"}  # verified without the engine

    def __init__(self, project: EngineProject, env: dict, configs: tuple[str, str], breakdown: dict) -> None:
        self.project, self.env, self.configs, self.breakdown = project, env, configs, breakdown

    def kindplane(self) -> dict[str, float]:
        kp = [sys.executable, "-m", "kindplane", "-c", str(self.project.config_path)]

        def up(loop: str, *extra: str) -> float:
            seconds, out = timed([*kp, "up", *extra, "-o", "json"], self.env, self.project.root)
            for phase, value in kindplane_timings(out).items():
                self.breakdown.setdefault(f"{loop}: {phase}", []).append(float(value))
            return seconds

        return self._walk(
            lambda: up("fresh up"),
            lambda: up("no-op up"),
            lambda: up("no-op up again"),
            lambda: up("config change", "--yes"),
            lambda: timed([*kp, "down", "--force"], self.env, self.project.root)[0],
        )

    def pulumi(self) -> dict[str, float]:
        def run(*args: str) -> float:
            argv = ["pulumi", *args, "--yes", "--skip-preview", "--non-interactive", "--stack", self.project.stack]
            return timed(argv, self.env, self.project.root)[0]

        return self._walk(
            lambda: run("up"),
            lambda: run("up", "--refresh"),
            lambda: run("up", "--refresh"),
            lambda: run("up", "--refresh"),
            lambda: run("destroy"),
        )

    def _walk(self, *steps: Callable[[], float]) -> dict[str, float]:
        self.project.write_config(self.configs[0])
        times = {}
        for loop, step in zip(self.LOOPS, steps):
            if loop == "config change":
                self.project.write_config(self.configs[1])
            times[loop] = step()
        return times


class BareEngine:
    """A Python program that registers nothing, on the same Pulumi CLI and language host."""

    def __init__(self, workdir: Path, env: dict) -> None:
        self.root = workdir / "bare"
        (self.root / "state").mkdir(parents=True)
        (self.root / "Pulumi.yaml").write_text(
            "name: bare\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
            f"backend:\n  url: {(self.root / 'state').as_uri()}\n"
        )
        (self.root / "__main__.py").write_text("import pulumi  # noqa: F401\n")
        self.env = env
        timed(["pulumi", "stack", "init", "bench", "--non-interactive"], env, self.root)
        self.up()  # the first up writes the stack's first checkpoint; untimed

    def up(self) -> float:
        return timed(
            ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", "bench"], self.env, self.root
        )[0]


def plugin_start(name: str) -> float:
    """Spawn → the port line a provider prints once it serves (what the engine waits for)."""
    home = Path(os.environ["PULUMI_HOME"]) / "plugins"
    (binary,) = sorted(home.glob(f"resource-{name}-v*/pulumi-resource-{name}"))
    started = time.monotonic()
    proc = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.strip().isdigit():
            raise RuntimeError(f"{binary} printed {line!r}, not a port")
        return time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()


def kindplane_timings(stdout: str) -> dict[str, float]:
    """`timings` of `kindplane up -o json` (phase → seconds), {} when this kindplane reports none."""
    try:
        return dict((json.loads(stdout) or {}).get("timings") or {})
    except (json.JSONDecodeError, AttributeError, TypeError):
        return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=MIN_REPS)
    args = parser.parse_args()
    if args.reps < MIN_REPS:
        parser.error(f"--reps must be at least {MIN_REPS}")
    problem = docker_problem() or load_toolchain_env()
    if problem:
        print(f"engine_loop: cannot run: {problem}", file=sys.stderr)
        return 1
    os.environ[NODE_IMAGE_ENV] = ensure_node_image()
    ensure_registry_image()
    ensure_kind_network()

    samples: dict[str, list[float]] = {}
    breakdown: dict[str, list[float]] = {}

    def add(row: str, seconds: float) -> None:
        samples.setdefault(row, []).append(seconds)

    with tempfile.TemporaryDirectory(prefix="kindplane-bench-") as tmp:
        work = Path(tmp)
        cluster, registry = unique_name("kpb"), unique_name("kpb-reg")
        port, changed_port = quiet_ports(2)
        project: EngineProject = make_project(work / "kp", "bench", config_text(cluster, registry, port))
        script = ScriptPath(work)
        env = project.env()
        bare = BareEngine(work, env)
        kp = [sys.executable, "-m", "kindplane", "-c", str(project.config_path)]
        changed = config_text(cluster, registry, changed_port)
        walk = Walk(project, env, (config_text(cluster, registry, port), changed), breakdown)
        steps: list[tuple[str, Callable[[], float]]] = [
            ("kind script: create (registry, cluster, hosts.toml, network)", script.create),
            ("kind script: delete (kind delete + docker rm -f)", script.delete),
            ("pulumi up, empty program, nothing changed", bare.up),
            ('python -c "import pulumi"', lambda: timed([sys.executable, "-c", "import pulumi"], env, project.root)[0]),
            ("kindplane validate", lambda: timed([*kp, "validate"], env, project.root)[0]),
            ("kindplane config kind", lambda: timed([*kp, "config", "kind"], env, project.root)[0]),
        ]
        steps += [(f"provider start-up: {name}", lambda name=name: plugin_start(name)) for name in PROVIDERS]
        try:
            for rep in range(args.reps):
                # The doors take turns going first: neither always meets a warmer machine.
                doors: list[tuple[str, Callable[[], dict[str, float]]]] = [
                    ("kindplane", walk.kindplane),
                    ("the Pulumi door", walk.pulumi),
                ]
                for door, run_walk in doors if rep % 2 == 0 else doors[::-1]:
                    for loop, seconds in run_walk().items():
                        add(f"{loop}: {door}", seconds)
                for row, step in steps:
                    add(row, step())
                print(f"round {rep + 1}/{args.reps} done", file=sys.stderr, flush=True)
        finally:
            project.kindplane("-c", str(project.config_path), "down", "--force", check=False)
            script.cleanup()
            remove_leftovers(cluster, registry)

    med = {row: summarize(values).median for row, values in samples.items()}
    ratios: dict[str, Optional[tuple[str, str]]] = {
        "kind script: create (registry, cluster, hosts.toml, network)": None,
        **{
            f"{loop}: kindplane": (f"{loop}: the Pulumi door", Walk.GOALS.get(loop, "goal ≤ 1.1×"))
            for loop in Walk.LOOPS
        },
        "fresh up: the Pulumi door": ("kind script: create (registry, cluster, hosts.toml, network)", "the script"),
        "down: the Pulumi door": ("kind script: delete (kind delete + docker rm -f)", "the script"),
        "no-op up: the Pulumi door": ("pulumi up, empty program, nothing changed", "the engine's floor"),
        "kindplane validate": ('python -c "import pulumi"', "goal ≤ 0.8×"),
        "kindplane config kind": ('python -c "import pulumi"', "goal ≤ 0.8×"),
    }
    rows = []
    for row, values in samples.items():
        against = ratios.get(row)
        side = f"{med[row] / med[against[0]]:.2f}× {against[0]} ({against[1]})" if against else ""
        rows.append([row, summarize(values).fmt(), side])
    print(f"## Engine loop (stand-in kind, 1 control plane + 1 worker, registry on; n={args.reps} each)\n")
    print(table(["what", "time: median (min–max)", "side by side"], rows))
    if breakdown:
        print("\n### Where kindplane's time goes (`kindplane up -o json` timings, medians)\n")
        print(
            table(
                ["phase", "time: median (min–max)"],
                [[phase, summarize(values).fmt()] for phase, values in breakdown.items() if len(values) >= MIN_REPS],
            )
        )
    else:
        print("\n(this kindplane reports no timings in `up -o json`: no breakdown)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
