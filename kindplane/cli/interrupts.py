"""Ctrl-C during an engine call: let the Pulumi CLI cancel cleanly instead of cutting it off.

The Automation API runs `pulumi` as a child process and reads its output. If Python unwinds on
KeyboardInterrupt, the reader goes away mid-run: the CLI can die half-cancelled, leaving a stale
lock and pending operations. So the call runs in a worker thread; the main thread, which is the
one Python delivers SIGINT to, forwards each interrupt to the `pulumi` children (the first asks
Pulumi to cancel gracefully, a second to stop at once) and keeps waiting until the CLI has exited.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class Interrupted(KeyboardInterrupt):
    """The user pressed Ctrl-C; the engine call has finished cancelling."""


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid`, from /proc/<n>/stat (field 4 is the parent's pid)."""
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


GUARD = "pulumi-guard"  # kindplane.ops.run_guard names itself so, in a session of its own


def pulumi_children(pid: int | None = None, names: tuple[str, ...] = ("pulumi", GUARD)) -> list[int]:
    """The `pulumi` processes (or their guards) this process started (Linux /proc; empty elsewhere)."""
    result = []
    for child in _children(pid or os.getpid()):
        try:
            name = Path(f"/proc/{child}/comm").read_text().strip()  # the executed file's name
        except OSError:
            continue
        if name in names:
            result.append(child)
    return result


def terminal_sent_it() -> bool:
    """Ctrl-C on our terminal signals the whole foreground group, the pulumi child included."""
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
                return True
        except OSError:
            continue
    return False


def forward_interrupt() -> list[int]:
    """Passes SIGINT on to pulumi: always to a guard (its own session: the terminal never reaches
    it), to a bare `pulumi` child unless the terminal already delivered it there too (a second
    SIGINT would turn Pulumi's graceful cancel into an immediate stop)."""
    children = pulumi_children(names=(GUARD,)) + ([] if terminal_sent_it() else pulumi_children(names=("pulumi",)))
    for child in children:
        try:
            os.kill(child, signal.SIGINT)
        except ProcessLookupError:
            pass
    return children


def run_interruptibly(call: Callable[[], T], on_interrupt: Callable[[int], None] = lambda n: None) -> T:
    """Runs `call` to its end even through Ctrl-C; raises Interrupted afterwards if there was one."""
    if threading.current_thread() is not threading.main_thread():
        return call()  # only the main thread receives SIGINT; nothing to forward from here
    box: dict[str, Any] = {}
    # An Event, not Thread.join: a join cut short by KeyboardInterrupt can leave is_alive()
    # answering False while the thread still runs (a CPython quirk), which ends the wait early.
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="pulumi-call", daemon=True).start()
    interrupts = 0
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            interrupts += 1
            forward_interrupt()
            on_interrupt(interrupts)
    if interrupts:
        raise Interrupted()
    if "error" in box:
        raise box["error"]
    return box["value"]
