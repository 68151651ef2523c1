"""Bench: where one engine run's CPU goes — the unit the engine suite is made of.

The engine suite is CPU-bound on this 2-core machine (both cores 97–100 % busy), so its time is
the CPU its steps cost. On a converged stack of the stand-in cluster (1 control plane + 1 worker,
registry, ConfigMap), each row runs N times and splits the CPU seconds of the whole process tree:

- the program (`pulumi-language-python-exec`: imports of pulumi + the three SDKs, kindplane's
  render and read-back);
- the language host's Python probes: `About` (`python --version`, `sys.executable`,
  `pip --version`) and `GetRequiredPackages` (`pip list --format json`, each package's
  pulumi-plugin.json) — Pulumi's own toolchain code, run on every `preview` and `up`;
- the Go side: the pulumi CLI (state, secrets: one PBKDF2 of the passphrase), the language host
  and the three providers;
- the stand-in cluster's kube-apiserver + etcd while the kubernetes provider talks to them.

It also boots the stand-in's etcd + kube-apiserver alone N times (what every cluster create
costs before any test step). The Python probes are counted through PULUMI_PYTHON_CMD (a wrapper
that records each call's CPU); the rest is the tree's total minus them.

    python bench/engine_run_cpu.py [--reps 5]

Needs Docker (bash tests/harness/ensure_docker.sh start) and the real-engine toolchain
(bash tests/harness/toolchain.sh build).
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]

from _stats import MIN_REPS, summarize, table  # noqa: E402
from harness import apiserver  # noqa: E402
from harness.cluster import ensure_kind_network  # noqa: E402
from harness.docker_env import docker_problem  # noqa: E402
from harness.engine import EngineProject, engine_config, load_toolchain_env, make_project  # noqa: E402
from harness.images import ensure_node_image, ensure_registry_image  # noqa: E402
from harness.names import free_port, unique_name  # noqa: E402

# What each Python call the engine makes is, by its arguments (the wrapper's classes).
CLASSES = ("program", "pip list", "pip --version", "python --version", "sys.executable", "plugin files", "other")
WRAPPER = """#!/bin/bash
# Records the CPU of one Python call the engine makes: "<user> <system> <class>".
case "$*" in
  *pulumi-language-python-exec*) class=program ;;
  *"-m pip list"*) class="pip list" ;;
  *"-m pip --version"*) class="pip --version" ;;
  "--version") class="python --version" ;;
  *sys.executable*) class=sys.executable ;;
  *pulumi-plugin.json*) class="plugin files" ;;
  *) class=other ;;
esac
exec /usr/bin/time -a -o {log} -f "%U %S $class" {python} "$@"
"""


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuSplit:
    """Runs one pulumi command and splits its process tree's CPU seconds by class."""

    def __init__(self, project: EngineProject, cluster: str, log: Path, wrapper: Path) -> None:
        self.project, self.cluster, self.log, self.wrapper = project, cluster, log, wrapper
        self.samples: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))

    def run(self, row: str, *args: str) -> None:
        self.log.write_text("")
        servers = apiserver.pids(self.cluster)
        server_before = sum(process_cpu(pid) for pid in servers.values())
        before, started = children_cpu(), time.monotonic()
        self.project.pulumi(*args, PULUMI_PYTHON_CMD=str(self.wrapper))
        wall, total = time.monotonic() - started, children_cpu() - before
        server = sum(process_cpu(pid) for pid in servers.values()) - server_before
        python: collections.Counter[str] = collections.Counter()
        for line in self.log.read_text().splitlines():
            user, system, name = line.split(" ", 2)
            python[name] += float(user) + float(system)
        split = self.samples[row]
        split["wall"].append(wall)
        split["tree CPU (all below)"].append(total)
        for name in CLASSES:
            split[f"  Python: {name}"].append(python[name])
        split["  Go: pulumi CLI + language host + providers"].append(total - sum(python.values()))
        split["kube-apiserver + etcd (not in the tree)"].append(server)


def boot_api_server(reps: int) -> dict[str, list[float]]:
    """etcd + kube-apiserver of one stand-in cluster: start → /readyz and kube-public, and idle 10 s after."""
    found: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(reps):
        name = unique_name("kpb-api")
        apiserver.start(name)
        try:
            found["boot wall"].append(apiserver.wait_ready(name))
            pids = apiserver.pids(name)
            ready = sum(process_cpu(pid) for pid in pids.values())
            found["boot CPU (to ready)"].append(ready)
            time.sleep(10)
            found["idle CPU per 10 s after"].append(sum(process_cpu(pid) for pid in pids.values()) - ready)
        finally:
            apiserver.stop(name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=MIN_REPS)
    reps = parser.parse_args().reps
    problem = docker_problem() or load_toolchain_env()
    if problem:
        sys.exit(f"engine_run_cpu: {problem}")
    ensure_node_image()
    ensure_registry_image()
    ensure_kind_network()
    work = Path(tempfile.mkdtemp(prefix="kpb-cpu-"))
    log, wrapper = work / "python-calls.log", work / "python"
    wrapper.write_text(WRAPPER.format(log=shlex.quote(str(log)), python=shlex.quote(sys.executable)))
    wrapper.chmod(0o755)
    cluster, registry = unique_name("kpb-cpu"), unique_name("kpb-cpureg")
    project = make_project(work, "dev", engine_config(cluster, registry, free_port()))
    split = CpuSplit(project, cluster, log, wrapper)
    try:
        project.init_stack()
        project.up()  # the stack to measure on: a fresh up, not summarised
        for _ in range(reps):  # the rows take turns, so a slow minute hits both
            split.run("`pulumi preview --expect-no-changes`", "preview", "--expect-no-changes")
            split.run("`pulumi up --refresh` (no change)", "up", "--yes", "--skip-preview", "--refresh")
    finally:
        project.remove_everything()
    boot = boot_api_server(reps)

    for row, columns in split.samples.items():
        print(f"\n{row}, CPU seconds (median, spread):\n")
        print(table(["part", "seconds"], [(part, summarize(values).fmt()) for part, values in columns.items()]))
    print("\nthe stand-in cluster's etcd + kube-apiserver alone:\n")
    print(table(["part", "seconds"], [(part, summarize(values).fmt()) for part, values in boot.items()]))


if __name__ == "__main__":
    main()
