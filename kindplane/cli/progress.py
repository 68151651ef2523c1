"""Live progress while Pulumi works: what is being created right now, and for how long.

On a terminal a Rich live view lists the operations in flight with their elapsed time; otherwise
(CI logs, pipes) one line is printed per finished operation.
"""

from __future__ import annotations

import threading
import time
from typing import Optional

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from .engine import ResourceStep

# Pulumi's own bookkeeping, not something a user asked for.
_HIDDEN_TYPES = ("pulumi:pulumi:Stack",)
_HIDDEN_PREFIXES = ("pulumi:providers:",)
_QUIET_OPS = ("same", "read")
VERBS = {
    "create": ("creating", "created"),
    "update": ("updating", "updated"),
    "replace": ("replacing", "replaced"),
    "create-replacement": ("creating replacement", "created replacement"),
    "delete": ("deleting", "deleted"),
    "delete-replaced": ("deleting old", "deleted old"),
    "refresh": ("refreshing", "refreshed"),
    "import": ("adopting", "adopted"),
}


def shown(step: ResourceStep) -> bool:
    return step.op not in _QUIET_OPS and step.type not in _HIDDEN_TYPES and not step.type.startswith(_HIDDEN_PREFIXES)


def describe(step: ResourceStep, seconds: Optional[float] = None) -> str:
    doing, done = VERBS.get(step.op, (step.op, step.op))
    verb = {"start": doing, "done": done, "failed": f"failed {doing}"}[step.phase]
    text = f"{verb} {step.name}"
    return text if seconds is None else f"{text} ({seconds:.1f}s)"


class Progress:
    """Callable sink for ResourceSteps (called from Pulumi's event thread); a context manager."""

    def __init__(self, console: Console, title: str, live: Optional[bool] = None, everything: bool = False):
        self.console = console
        self.everything = everything  # -v: Pulumi's bookkeeping steps too
        self.title = title
        self.live_enabled = console.is_terminal if live is None else live
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._running: dict[tuple[str, str], float] = {}
        self._live: Optional[Live] = None
        self.finished: list[ResourceStep] = []
        self._notes: set[str] = set()  # the program's lines, each shown once

    def __enter__(self) -> "Progress":
        if self.live_enabled:
            self._live = Live(
                self._render(), console=self.console, refresh_per_second=4, transient=True, get_renderable=self._render
            )
            self._live.__enter__()
        else:
            self.console.print(Text(self.title))
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def __call__(self, step: ResourceStep) -> None:
        if step.phase == "note":
            with self._lock:
                fresh = step.name not in self._notes
                self._notes.add(step.name)
            if fresh:
                self.console.print(Text(step.name, style="yellow"))
            return
        if not (self.everything or shown(step)):
            return
        key = (step.name, step.op)
        with self._lock:
            if step.phase == "start":
                self._running[key] = time.monotonic()
                return
            began = self._running.pop(key, None)
            self.finished.append(step)
        seconds = None if began is None else time.monotonic() - began
        line = Text(describe(step, seconds), style="red" if step.phase == "failed" else "green")
        self.console.print(line)

    def _render(self) -> Group:
        now = time.monotonic()
        with self._lock:
            running = sorted(self._running.items(), key=lambda item: item[1])
        header = Spinner("dots", Text(f"{self.title} {now - self._started:.0f}s", style="bold"))
        rows = [
            Text(f"  {describe(ResourceStep('start', op, '', name))}  {now - began:.0f}s", style="cyan")
            for (name, op), began in running
        ]
        return Group(header, *rows)
