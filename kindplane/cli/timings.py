"""Where `up`'s time went: its total (always printed), the phases with -v, `timings` in -o json.

The phases are laps of one clock: start-up (the process's age when the command began: Python,
imports), checks (config, preflight, Docker and state look-ups), then each engine run by name.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional


def process_age() -> Optional[float]:
    """Seconds since this process started (Linux /proc); None elsewhere."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


class Timings:
    def __init__(self) -> None:
        age = process_age()
        now = time.monotonic()
        self.started = now - (age or 0.0)
        self.phases: dict[str, float] = {"start-up": age} if age is not None else {}
        self._mark = now

    def lap(self, phase: str) -> None:
        """Closes `phase`: the time since the previous lap (added up when a phase recurs)."""
        now = time.monotonic()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self._mark
        self._mark = now

    @property
    def total(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self) -> dict[str, float]:
        return {"total": round(self.total, 2), **{phase: round(s, 2) for phase, s in self.phases.items()}}

    def lines(self, verbose: bool) -> list[str]:
        lines = [f"Done in {self.total:.1f} s" + ("" if verbose else " (-v: where the time went)")]
        if verbose:
            lines.append("  " + " · ".join(f"{phase} {s:.1f} s" for phase, s in self.phases.items()))
        return lines
