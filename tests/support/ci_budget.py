"""`.ci/run`'s time budget: how long each phase took, what the toolchain cost, the ten slowest
tests and the machine's peak memory, printed at the end of every run (green or not).

    python tests/support/ci_budget.py DIR          # print the budget from DIR's records
    python tests/support/ci_budget.py sample DIR   # record peak memory into DIR until the run ends
    python tests/support/ci_budget.py slowest DIR [SECONDS]   # node IDs of tests that took longer
                                                    # (default 40 s): tests/support/slowest_tests.txt

DIR holds `phases` (".ci/run: <name> <epoch seconds>" lines, the last one `end`), one JUnit XML
per pytest phase, toolchain.log, and `memory` (the sampler's peak).
"""

from __future__ import annotations

import re
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

SAMPLE_EVERY = 1.0


def used_memory_mib() -> int:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    kib = lambda key: int(info[key].split()[0])  # noqa: E731
    return (kib("MemTotal") - kib("MemAvailable")) // 1024


def sample(folder: Path) -> None:
    """Keeps the highest used-memory reading (MemTotal - MemAvailable) until the run ends."""
    first = peak = used_memory_mib()
    while not (folder / "phases").exists() or "end " not in (folder / "phases").read_text():
        peak = max(peak, used_memory_mib())
        (folder / "memory").write_text(f"{first} {peak}\n")
        time.sleep(SAMPLE_EVERY)


def phases(folder: Path) -> list[tuple[str, float]]:
    marks = [line.split() for line in (folder / "phases").read_text().splitlines() if line.strip()]
    return [(name, float(end) - float(start)) for (name, start), (_, end) in zip(marks, marks[1:])]


def tests(folder: Path) -> tuple[dict[str, dict[str, int]], list[tuple[float, str]]]:
    counts: dict[str, dict[str, int]] = {}
    durations: list[tuple[float, str]] = []
    for xml in sorted(folder.glob("*.xml")):
        try:
            root = ElementTree.parse(xml).getroot()
        except (ElementTree.ParseError, OSError):
            continue
        tally = counts.setdefault(xml.stem, {"passed": 0, "failed": 0, "skipped": 0})
        for case in root.iter("testcase"):
            outcome = "passed"
            if case.find("failure") is not None or case.find("error") is not None:
                outcome = "failed"
            elif case.find("skipped") is not None:
                outcome = "skipped"
            tally[outcome] += 1
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            durations.append((float(case.get("time") or 0), name))
    return counts, sorted(durations, reverse=True)[:10]


def node_id(classname: str, name: str) -> str:
    """pytest's node ID of a JUnit test case: tests.engine.test_x + test_y[p]@group →
    tests/engine/test_x.py::test_y[p] (xdist's group suffix dropped)."""
    return f"{classname.replace('.', '/')}.py::{name.split('@')[0]}"


def slowest(folder: Path, seconds: float) -> list[str]:
    found: list[tuple[float, str]] = []
    for xml in sorted(folder.glob("*.xml")):
        for case in ElementTree.parse(xml).getroot().iter("testcase"):
            took = float(case.get("time") or 0)
            if took >= seconds:
                found.append((took, node_id(case.get("classname", ""), case.get("name", ""))))
    return [nodeid for _, nodeid in sorted(found, reverse=True)]


def toolchain_lines(folder: Path) -> list[str]:
    try:
        log = (folder / "toolchain.log").read_text()
    except OSError:
        return []
    return [line for line in log.splitlines() if re.search(r": (built|cached|ready|.*FAILED)", line)]


def report(folder: Path) -> str:
    out = ["", "=== time budget (.ci/run) ==="]
    counts, slowest = tests(folder)
    total = 0.0
    for name, seconds in phases(folder):
        total += seconds
        tally = counts.get(name)
        detail = f"  ({', '.join(f'{n} {k}' for k, n in tally.items() if n)})" if tally else ""
        out.append(f"{name:<10} {seconds:7.0f} s{detail}")
    out.append(f"{'total':<10} {total:7.0f} s")
    build = toolchain_lines(folder)
    if build:
        out += ["", "toolchain (built in the background while lint and the fast tests ran):"]
        out += [f"  {line}" for line in build]
    if slowest:
        out += ["", "ten slowest tests:"]
        out += [f"  {seconds:6.1f} s  {name}" for seconds, name in slowest]
    try:
        first, peak = (folder / "memory").read_text().split()
        out += ["", f"peak memory in use: {int(peak) / 1024:.1f} GiB (at the start: {int(first) / 1024:.1f} GiB)"]
    except (OSError, ValueError):
        pass
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if argv[:1] == ["sample"]:
        sample(Path(argv[1]))
        return 0
    if argv[:1] == ["slowest"]:
        print("\n".join(slowest(Path(argv[1]), float(argv[2]) if len(argv) > 2 else 40.0)))
        return 0
    print(report(Path(argv[0])), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
