"""The next up ends what a killed Pulumi run left running in the project (kindplane.ops.orphans):
its orphaned plugins, never a live run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kindplane.ops.orphans import orphans, reap_orphans


def program(path: Path, body: str) -> Path:
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(0o755)
    return path


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_an_orphaned_plugin_in_the_project_is_ended_and_a_live_runs_plugin_is_not(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    plugin = program(tmp_path / "pulumi-resource-docker", "import time\ntime.sleep(600)")
    starts = f"import subprocess, time\np = subprocess.Popen([{str(plugin)!r}], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nprint(p.pid, flush=True)\n"
    live_pulumi = program(tmp_path / "pulumi", starts + "time.sleep(600)")  # a running pulumi and its plugin
    killed_pulumi = program(tmp_path / "pulumi-killed", starts)  # exits at once: its plugin is orphaned
    live = subprocess.Popen([str(live_pulumi)], cwd=project, stdout=subprocess.PIPE, text=True)
    live_plugin = int(live.stdout.readline())
    orphan = int(subprocess.run([str(killed_pulumi)], cwd=project, capture_output=True, text=True).stdout)
    try:
        assert wait_for(lambda: orphans(project)) == [orphan]  # the live run's plugin is not one
        assert orphans(tmp_path) == []  # another folder's: never
        assert reap_orphans(project) == [orphan]
        wait_for(lambda: gone(orphan))
        assert not gone(live_plugin)
    finally:
        for pid in (live.pid, live_plugin, orphan):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        live.wait()
