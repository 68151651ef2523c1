"""Bench part 3: how long the `kindplane` command takes to start, against Python and Pulumi.

Every sample is a fresh process (nothing stays imported between runs), timed from spawn to
exit (wall) and by the child's user + system CPU time (less disturbed by other load on a shared
machine); one unmeasured run of each command first warms the file cache, then the commands take
turns, one sample each per round. The commands run in a
temporary directory holding a valid kindplane.yaml. When a command misses the goal (under half
of `import pulumi`), `python -X importtime` names the top-level imports that cost the most.

    python bench/cli_start.py [--reps 11]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from _stats import summarize, table  # noqa: E402

KINDPLANE_YAML = """\
cluster:
  name: bench-cli
  nodes: {controlPlane: 1, workers: 2}
  registry: {enabled: true, port: 5999}
"""
# What `pip install -e .` writes into the console script, for a checkout that is not installed.
_ENTRY = "import sys; from kindplane.cli import main; sys.exit(main())"


def kindplane_argv() -> tuple[list[str], str]:
    installed = shutil.which("kindplane")
    if installed:
        return [installed], f"console script {installed}"
    return [sys.executable, "-c", _ENTRY], "not installed: `python -c` running the console script's entry point"


def commands() -> tuple[list[tuple[str, list[str]]], str]:
    kp, how = kindplane_argv()
    return [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ('python -c "import pulumi"', [sys.executable, "-c", "import pulumi"]),
        # References, not goals: what the libraries every kindplane command loads cost alone.
        ('python -c "import typer"', [sys.executable, "-c", "import typer"]),
        ('python -c "import kindplane.core.config"', [sys.executable, "-c", "import kindplane.core.config"]),
        ("kindplane --help", kp + ["--help"]),
        ("kindplane validate", kp + ["validate"]),
        ("kindplane config kind", kp + ["config", "kind"]),
    ], how


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def time_once(argv: list[str], cwd: str) -> tuple[float, float, int]:
    """(wall s, CPU s = the child's user + system time, exit code) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_costs(argv: list[str], cwd: str) -> list[tuple[str, int, int, str]]:
    """(module, self µs, cumulative µs, top-level import that pulled it in) for every import
    while running `argv` under -X importtime."""
    if argv[0] != sys.executable:  # an installed console script: run it with this Python
        argv = [sys.executable, argv[0]] + argv[1:]
    run = subprocess.run([argv[0], "-X", "importtime"] + argv[1:], cwd=cwd, env=_env(), capture_output=True, text=True)
    lines = [m for m in map(_IMPORT_LINE.match, run.stderr.splitlines()) if m]
    costs, pending = [], []
    # importtime prints children before their parent, indented two spaces per level.
    for m in lines:
        pending.append((m.group(4), int(m.group(1)), int(m.group(2))))
        if not m.group(3):
            root = m.group(4)
            costs.extend((name, own, cum, root) for name, own, cum in pending)
            pending = []
    return costs


def culprits(argv: list[str], cwd: str, top: int = 5) -> list[str]:
    """Import time per package (own time summed, ≥ 1 ms) and the heaviest modules, as report lines.

    Modules a bare `python -c pass` already imports (site, .pth hooks) are left out: every
    Python command pays for them.
    """
    baseline = {c[0] for c in import_costs([sys.executable, "-c", "pass"], cwd)}
    costs = [c for c in import_costs(argv, cwd) if c[0] not in baseline]
    stdlib = sys.stdlib_module_names
    by_package: dict[str, int] = {}
    for name, own, _, _ in costs:
        root = name.split(".")[0]
        key = "(stdlib)" if root in stdlib or root.startswith("_") else root
        by_package[key] = by_package.get(key, 0) + own
    packages = sorted(((k, v) for k, v in by_package.items() if v >= 1000), key=lambda item: -item[1])
    firsts = {}
    for name, _, _, root in costs:
        firsts.setdefault(name.split(".")[0], root)
    modules = sorted(((name, own) for name, own, _, _ in costs), key=lambda item: -item[1])[:top]
    loaded = {c[0] for c in costs}
    return [
        "own import time by package: "
        + ", ".join(
            f"{name} {us / 1000:.0f} ms"
            + (f" (first via {firsts[name]})" if firsts.get(name, name).split(".")[0] != name else "")
            for name, us in packages
        ),
        "modules by own import time: " + ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in modules),
        f"pulumi imported: {'yes' if 'pulumi' in loaded else 'no'}; "
        f"{sum(c[1] for c in costs) / 1000:.0f} ms of imports beyond `python -c pass` "
        "(importtime itself adds overhead)",
    ]


def measure(reps: int) -> str:
    cmds, how = commands()
    rows, samples, failures = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="kindplane-bench-cli-") as cwd:
        Path(cwd, "kindplane.yaml").write_text(KINDPLANE_YAML)
        for label, argv in cmds:
            time_once(argv, cwd)  # warm the file cache; not counted
        # Round-robin: a burst of load from elsewhere hits every command alike, not just one.
        runs: dict[str, list] = {label: [] for label, _ in cmds}
        for _ in range(reps):
            for label, argv in cmds:
                runs[label].append(time_once(argv, cwd))
        cpu = {}
        for label, _ in cmds:
            samples[label] = summarize([wall * 1000 for wall, _, _ in runs[label]])
            cpu[label] = summarize([c * 1000 for _, c, _ in runs[label]])
            codes = sorted({code for _, _, code in runs[label]})
            if codes != [0]:
                failures[label] = codes
        pulumi_ms = samples['python -c "import pulumi"'].median
        pulumi_cpu = cpu['python -c "import pulumi"'].median
        goal_ms = pulumi_ms / 2
        missed = []
        for label, argv in cmds:
            s = samples[label]
            verdict = ""
            if label.startswith("kindplane"):
                verdict = "yes" if s.median < goal_ms else "NO"
                if s.median >= goal_ms:
                    missed.append((label, argv))
            if label in failures:
                verdict += f" (exit {failures[label]})"
            rows.append(
                [
                    label,
                    s.fmt("ms", 0),
                    f"{s.median / pulumi_ms:.2f}",
                    verdict,
                    cpu[label].fmt("ms", 0),
                    f"{cpu[label].median / pulumi_cpu:.2f}",
                ]
            )
        source = subprocess.run(
            [sys.executable, "-c", "import kindplane; print(kindplane.__file__)"],
            cwd=cwd,
            env=_env(),
            capture_output=True,
            text=True,
        ).stdout.strip()
        out = [
            f"kindplane invoked as: {how}; code imported from {source} (this checkout first on PYTHONPATH)",
            "",
            table(
                [
                    "command (fresh process)",
                    "wall (median, min–max)",
                    "÷ import pulumi",
                    f"goal: wall < {goal_ms:.0f} ms",
                    "CPU user+sys (median, min–max)",
                    "CPU ÷ import pulumi",
                ],
                rows,
            ),
        ]
        for label, argv in missed:
            out.append(f"\n`{label}` misses the goal; python -X importtime says:")
            out.extend(f"- {line}" for line in culprits(argv, cwd))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=11, help="fresh processes per command")
    args = parser.parse_args()
    print("## CLI start\n")
    print(measure(args.reps))


if __name__ == "__main__":
    main()
