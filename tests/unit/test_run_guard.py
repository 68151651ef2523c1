"""The guard every Pulumi CLI call runs under (kindplane.ops.run_guard): what Pulumi starts in
process groups of its own (plugins, the language host) ends with it, and with kindplane when
kindplane is killed outright; Ctrl-C still reaches Pulumi; its exit code passes through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kindplane.ops import run_guard

# A `pulumi` that starts a "plugin" in a process group of its own (as Pulumi does) and a daemon
# (what a command resource may leave running, e.g. a server it started), writes the pids, then
# waits: like a CLI in the middle of an update.
FAKE_PULUMI = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    here = os.path.dirname(sys.argv[0])
    plugin = subprocess.Popen([os.path.join(here, "pulumi-resource-fake")], start_new_session=True)
    daemon = subprocess.Popen([os.path.join(here, "a-daemon")], start_new_session=True)
    open(sys.argv[1], "w").write(f"{os.getpid()} {plugin.pid} {daemon.pid}")
    signal.signal(signal.SIGINT, lambda *_: sys.exit(int(sys.argv[2])))
    time.sleep(600)
    """
)
SLEEPER = f"#!{sys.executable}\nimport time\ntime.sleep(600)\n"
# kindplane: starts the guard the way kindplane.cli.pulumi_run does, then waits for it.
FAKE_KINDPLANE = textwrap.dedent(
    """
    import os, subprocess, sys
    env = {**os.environ, "KINDPLANE_GUARD_PARENT": str(os.getpid())}
    sys.exit(subprocess.run([sys.executable, "-I", *sys.argv[1:]], env=env).returncode)
    """
)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def started(tmp_path):
    pulumi = executable(tmp_path / "pulumi", f"#!{sys.executable}\n{FAKE_PULUMI}")
    executable(tmp_path / "pulumi-resource-fake", SLEEPER)
    executable(tmp_path / "a-daemon", SLEEPER)
    kindplane, pids = tmp_path / "kindplane.py", tmp_path / "pids"
    kindplane.write_text(FAKE_KINDPLANE)
    argv = [sys.executable, str(kindplane), run_guard.__file__, str(pulumi), str(pids), "7"]
    process = subprocess.Popen(argv, start_new_session=True)
    wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 3)
    cli, plugin, daemon = (int(p) for p in pids.read_text().split())
    yield process, cli, plugin, daemon
    for pid in (cli, plugin, daemon):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_kindplane_killed_outright_takes_pulumi_and_its_plugins_with_it(started):
    process, cli, plugin, daemon = started
    os.killpg(process.pid, signal.SIGKILL)  # a closed terminal: kindplane's whole process group
    process.wait()
    wait_until(lambda: not alive(cli) and not alive(plugin))
    assert alive(daemon)  # not Pulumi's: left as it would be without the guard


def test_ctrl_c_reaches_pulumi_its_code_comes_back_and_nothing_it_started_is_left(started):
    process, cli, plugin, daemon = started
    guards = [
        int(p.name) for p in Path("/proc").glob("[0-9]*") if _comm(p) == "pulumi-guard" and _parent(p) == process.pid
    ]
    assert len(guards) == 1
    os.kill(guards[0], signal.SIGINT)
    assert process.wait(timeout=30) == 7  # the fake pulumi's own exit code for an interrupt
    wait_until(lambda: not alive(plugin))  # the plugin it left behind was ended by the guard
    assert alive(daemon)


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1
