"""Bench part 2: evaluating the Pulumi program under Pulumi's mocks for 1, 5 and 20 nodes.

Each repetition is a fresh Python process (as `pulumi up` would start one), so the first
evaluation ("cold") pays Pulumi's one-time runtime set-up exactly as a real run does; the same
process then evaluates the program again ("warm") to show the per-node cost without that set-up.
Only the evaluation is timed: interpreter start and imports are outside the clock (part 3 times
those). The graph is read from what the engine would receive: every RegisterResource request's
dependency list, i.e. explicit depends_on plus resources reached through inputs, plus the provider.

    python bench/program_eval.py [--reps 7] [--warm 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]

NODE_COUNTS = (1, 5, 20)
HOSTS_MARKER = "-wiring-hosts-"


def _config(nodes: int):
    from kindplane.core.config import parse_config

    return parse_config(
        "cluster:\n"
        "  name: bench\n"
        "  registry: {enabled: true, port: 5999}\n"
        f"  nodes: {{controlPlane: 1, workers: {nodes - 1}}}\n",
        "bench.kindplane.yaml",
    )


def _record_engine_dependencies() -> dict[str, set[str]]:
    """Wraps the mock monitor so each custom resource's dependency names are kept."""
    from pulumi.runtime.mocks import MockMonitor

    graph: dict[str, set[str]] = {}
    original = MockMonitor.RegisterResource

    def recording(self, request):
        if request.custom:
            deps = {urn.rsplit("::", 1)[-1] for urn in request.dependencies}
            if request.provider:  # "urn::id": the engine waits for the provider too
                deps.add(request.provider.rsplit("::", 2)[-2])
            graph[request.name] = deps
        return original(self, request)

    MockMonitor.RegisterResource = recording
    return graph


def longest_chain(graph: dict[str, set[str]]) -> list[str]:
    """The longest path of resources, each waiting for the one before (the critical path)."""
    memo: dict[str, list[str]] = {}

    def chain_to(name: str) -> list[str]:
        if name not in memo:
            before = [chain_to(d) for d in sorted(graph.get(name, ())) if d in graph]
            memo[name] = max(before, key=len, default=[]) + [name]
        return memo[name]

    return max((chain_to(n) for n in graph), key=len, default=[])


def _reaches(graph: dict[str, set[str]], start: str, targets: set[str]) -> bool:
    seen, todo = set(), list(graph.get(start, ()))
    while todo:
        name = todo.pop()
        if name in targets:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return False


def worker(nodes: int, warm: int) -> dict:
    """One fresh process: one cold evaluation, then `warm` more; prints what it saw."""
    import time

    graph = _record_engine_dependencies()
    from support.pulumi_mocks import run_program

    from kindplane import program

    config = _config(nodes)
    timings, run = [], None
    for _ in range(1 + warm):
        graph.clear()
        start = time.perf_counter()
        run = run_program(lambda: program.build(config, lambda c, owner: None))
        timings.append(time.perf_counter() - start)

    writes = sorted(n for n in graph if HOSTS_MARKER in n)
    write_deps = sorted({d for w in writes for d in graph[w]})
    chained = [w for w in writes if _reaches(graph, w, set(writes) - {w})]
    chain = longest_chain(graph)
    return {
        "nodes": nodes,
        "cold": timings[0],
        "warm": timings[1:],
        "resources": len(run.resources),
        "custom_resources": len(graph),
        "hosts_writes": len(writes),
        "hosts_write_deps": write_deps,
        "hosts_writes_chained": chained,
        "chain": chain,
    }


def measure(reps: int, warm: int) -> list[dict]:
    results = []
    for nodes in NODE_COUNTS:
        runs = []
        for _ in range(reps):
            out = subprocess.run(
                [sys.executable, __file__, "--worker", str(nodes), "--warm", str(warm)],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        results.append({"nodes": nodes, "runs": runs})
    return results


def report(results: list[dict]) -> str:
    from _stats import summarize, table

    rows, facts = [], []
    base = None
    for entry in results:
        runs = entry["runs"]
        first = runs[0]
        if any(r["chain"] != first["chain"] or r["resources"] != first["resources"] for r in runs):
            raise RuntimeError("the graph differed between repetitions")
        cold = summarize([r["cold"] * 1000 for r in runs])
        warm = summarize([t * 1000 for r in runs for t in r["warm"]])
        base = base or (cold, warm)
        rows.append(
            [
                first["nodes"],
                f"{first['resources']} ({first['custom_resources']} custom)",
                cold.fmt("ms", 0),
                f"{cold.median / base[0].median:.2f}×",
                warm.fmt("ms", 1),
                f"{warm.median / base[1].median:.2f}×",
                first["hosts_writes"],
                "none" if not first["hosts_writes_chained"] else ", ".join(first["hosts_writes_chained"]),
                len(first["chain"]),
            ]
        )
        facts.append(
            f"- {first['nodes']} node(s): every hosts.toml write waits only for "
            f"{' + '.join(first['hosts_write_deps'])}; longest chain: {' → '.join(first['chain'])}"
        )
    headers = [
        "nodes",
        "resources",
        "cold eval (median, min–max)",
        "vs 1 node",
        "warm eval (median, min–max)",
        "vs 1 node",
        "hosts.toml writes",
        "write waiting for another write",
        "longest chain (resources)",
    ]
    return table(headers, rows) + "\n\n" + "\n".join(facts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="fresh processes per node count")
    parser.add_argument("--warm", type=int, default=5, help="warm evaluations per process")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.warm)))
        return
    print("## Program evaluation under Pulumi mocks\n")
    print(report(measure(args.reps, args.warm)))


if __name__ == "__main__":
    main()
