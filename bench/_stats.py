"""Shared by the bench scripts: repetition summaries and plain-text tables (no timing in tests)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence

MIN_REPS = 5


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    n: int

    def fmt(self, unit: str = "s", digits: int = 3) -> str:
        """`0.123 s (0.110–0.140, n=7)`: the median first, the spread after it."""
        return f"{self.median:.{digits}f} {unit} ({self.low:.{digits}f}–{self.high:.{digits}f}, n={self.n})"


def summarize(samples: Sequence[float]) -> Summary:
    if len(samples) < MIN_REPS:
        raise ValueError(f"need at least {MIN_REPS} repetitions, got {len(samples)}")
    return Summary(statistics.median(samples), min(samples), max(samples), len(samples))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the printed output can be pasted into bench/README.md as is."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")
