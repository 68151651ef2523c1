"""Runs one Pulumi CLI command so that everything it starts ends with it, and with kindplane.

`python -I run_guard.py PULUMI ARGS…` (kindplane.cli.pulumi_run starts every CLI call so). Pulumi
starts its plugins and the language host in process groups of their own: when `pulumi` is killed
outright (a closed terminal, SIGKILL, the OOM killer) they keep running, orphaned, ~100 MB each.
The guard, in a session of its own so that a kill of kindplane's process group does not reach it:
- becomes the subreaper of what pulumi starts (orphans come back to it, not to init);
- asks the kernel for SIGTERM when kindplane goes away, and then ends Pulumi and its parts (what a
  command resource started — kind, a daemon — is left as it would be without the guard);
- passes each SIGINT on to pulumi (Ctrl-C: Pulumi's own graceful cancel; a second one stops it);
- when pulumi exits, ends whatever of the tree it left behind, and exits with its code.

Standalone on purpose (no kindplane import): it starts in a few milliseconds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
PR_SET_CHILD_SUBREAPER = 36
NAME = b"pulumi-guard"  # what kindplane.cli.interrupts looks for among its children
PATH_ENV = "KINDPLANE_GUARD_PATH"  # the PATH pulumi is to run with
PARENT_ENV = "KINDPLANE_GUARD_PARENT"  # kindplane's pid
GRACE = 5.0  # seconds a leftover gets after SIGTERM before SIGKILL


PULUMI_PARTS = ("pulumi-resource-", "pulumi-language-", "pulumi-analyzer-")  # + pulumi itself


def is_pulumi_part(pid: int) -> bool:
    """Pulumi, its plugins, its language host and the program that host runs — not what a
    command resource started (a daemon of the user's stays, as it would without the guard)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv = cmdline.read().split(b"\0")[:3]
    except OSError:
        return False
    names = {os.path.basename(a.decode("utf-8", "replace")) for a in argv if a}
    return "pulumi" in names or any(n.startswith(PULUMI_PARTS) for n in names)


def descendants(root: int) -> list[int]:
    """Every process below `root`, from /proc (parents before children)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop(0)
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_tree(grace: float = GRACE) -> None:
    """SIGTERM to Pulumi and its parts below the guard, SIGKILL to what is left after `grace`."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        pids = [pid for pid in descendants(os.getpid()) if is_pulumi_part(pid)]
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while pids and time.monotonic() < deadline:
            reap()
            pids = [pid for pid in pids if is_pulumi_part(pid)]
            time.sleep(0.05)
    reap()


def main(argv: list[str]) -> int:
    os.setsid()  # out of kindplane's process group: a kill of that group leaves the guard to clean up
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(NAME), 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    parent = os.environ.pop(PARENT_ENV, "")
    if parent and str(os.getppid()) != parent:
        return 143  # kindplane went away before the kernel could be asked to tell
    if PATH_ENV in os.environ:
        os.environ["PATH"] = os.environ.pop(PATH_ENV)
    child = subprocess.Popen(argv)

    def interrupt(*_: object) -> None:
        child.send_signal(signal.SIGINT)

    def parent_gone(*_: object) -> None:
        end_tree(grace=1.0)
        os._exit(143)

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, parent_gone)
    code = child.wait()
    end_tree()  # what pulumi left running (it normally stops its plugins itself)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
