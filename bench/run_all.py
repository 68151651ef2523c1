"""Runs every kindplane bench and prints one Markdown report: the machine, then each table.

    python bench/run_all.py            # all five parts (~20 minutes on 2 cores)
    python bench/run_all.py --skip-docker   # the parts without Docker only (CLI start, program evaluation)

Each part runs in its own process, one after another, so none of them competes with another.
The load average is printed before and after: numbers taken on a busy machine say so.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# Shortest and most noise-sensitive first, while the machine is as quiet as it will be.
PARTS = [
    ("cli_start.py", False),
    ("program_eval.py", False),
    ("image_iteration.py", True),
    ("mirror_pull.py", True),
    ("registry_cache.py", True),
]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _docker() -> str:
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}, storage driver {{.Driver}}"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() if result.returncode == 0 else "not available"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    return "\n".join(
        [
            "## Machine\n",
            f"- CPU: {_cpu_model()}, {os.cpu_count()} logical CPUs (nproc)",
            f"- memory: {_memory()}",
            f"- OS: {platform.system()} {platform.release()}; Python {platform.python_version()}",
            f"- Docker: {_docker()}",
            f"- load average (1, 5, 15 min) at start: {_load()}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-docker", action="store_true", help="skip the image iteration part")
    args = parser.parse_args()
    print(machine(), flush=True)
    started = time.monotonic()
    failed = []
    for script, needs_docker in PARTS:
        if needs_docker and args.skip_docker:
            continue
        print(flush=True)
        done = subprocess.run([sys.executable, str(BENCH / script)])
        if done.returncode != 0:
            failed.append(script)
    print(f"\nload average at end: {_load()}; total {time.monotonic() - started:.0f} s")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
