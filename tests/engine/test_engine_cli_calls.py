"""How many Pulumi CLI processes a `kindplane up` starts (each costs ~0.2-0.5 s; an engine run
~1.5 s): none for an up the read-back proves has nothing to do, one with --refresh.

A `pulumi` first on PATH records every call, then runs the real one: the way a user's shell
would find it. What must not happen: the Automation API's bookkeeping after each operation
(`stack output` twice, `stack history`) and a second `pulumi version`.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from harness.docker_env import docker
from harness.engine import EngineProject
from harness.names import free_port


def recording_pulumi(project: EngineProject, folder: Path) -> tuple[str, Path]:
    """A PATH whose `pulumi` appends its arguments to a file, and that file."""
    real = shutil.which("pulumi", path=project.env()["PATH"])
    assert real, "pulumi is not on the engine PATH"
    calls = folder / "pulumi-calls"
    wrapper = folder / "bin" / "pulumi"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(calls))}\nexec {shlex.quote(real)} "$@"\n')
    wrapper.chmod(0o755)
    return f"{wrapper.parent}{os.pathsep}{project.env()['PATH']}", calls


def verbs(calls: Path) -> list[str]:
    """Each call's command words: `stack output`, `refresh`, … (flags and values left out)."""
    found = []
    for line in calls.read_text().splitlines():
        words = [w for w in line.split() if not w.startswith("-")]
        found.append(" ".join(words[:2]) if words[:1] in (["stack"], ["config"]) else words[0])
    return found


ENGINE_RUNS = ("up", "preview", "refresh", "destroy")


def engine_runs(calls: Path) -> list[str]:
    return [verb for verb in verbs(calls) if verb in ENGINE_RUNS]


def calls_of(calls: Path, *wanted: str) -> list[str]:
    """The recorded command lines of these verbs."""
    lines = calls.read_text().splitlines()
    return [line for line, verb in zip(lines, verbs(calls)) if verb in wanted]


def test_a_no_op_kindplane_up_runs_no_engine_and_up_refresh_runs_one(new_project, tmp_path):
    project = new_project(workers=0)
    path, calls = recording_pulumi(project, tmp_path)
    project.kindplane("-c", str(project.config_path), "up", PATH=path)
    assert engine_runs(calls) == ["up"]  # a fresh up: one engine run
    calls.unlink()

    # Nothing changed: the read-back proves it (Docker, hosts.toml, network, ConfigMap), no engine
    # run — and no Pulumi process at all: `pulumi version` is remembered while the binary is the
    # same file, the state is read from the checkpoint, the kubeconfig opened with the empty
    # passphrase's key (no `stack export`, `stack select` or `stack output`).
    again = project.kindplane("-c", str(project.config_path), "up", PATH=path)
    assert "Nothing to do" in again.stdout
    assert f"localhost:{project.port}" in again.stdout  # the summary still has the stack's outputs
    assert not calls.exists(), calls.read_text()
    # Under a passphrase of the user's (here a file holding the same empty one), the kubeconfig
    # stays encrypted: read through the CLI each time.
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("")
    own = project.kindplane(
        "-c", str(project.config_path), "up", PATH=path, PULUMI_CONFIG_PASSPHRASE_FILE=str(passphrase)
    )
    assert "Nothing to do" in own.stdout
    assert verbs(calls) == ["stack output"]
    calls.unlink()

    # --refresh: the engine's own no-op, one run, without the Automation API's bookkeeping.
    forced = project.kindplane("-c", str(project.config_path), "up", "--refresh", PATH=path)
    assert "Nothing to do" not in forced.stdout
    ran = verbs(calls)
    assert ran.count("version") <= 1, ran
    assert ran.count("up") == 1 and "refresh" not in ran, ran
    assert "--refresh" in next(line for line in calls.read_text().splitlines() if " up " in f" {line} ")
    assert "stack history" not in ran, ran
    assert "stack export" not in ran, ran
    assert "stack output" not in ran, ran  # the API server check opens the kubeconfig itself
    assert "preview" not in ran, ran  # nothing changed: no plan is read
    project.pulumi("preview", "--expect-no-changes")
    # Right after an engine run (its checkpoint sealed every secret again): still no process.
    calls.unlink()
    assert "Nothing to do" in project.kindplane("-c", str(project.config_path), "up", PATH=path).stdout
    assert not calls.exists(), calls.read_text()

    # A hosts.toml removed by hand: Docker's containers are as recorded, but the read-back sees
    # the file gone, so the engine runs (one update: the program writes it again).
    node = f"{project.cluster}-control-plane"
    docker("exec", node, "rm", "-rf", f"/etc/containerd/certs.d/localhost:{project.port}")
    project.kindplane("-c", str(project.config_path), "up", PATH=path)
    assert engine_runs(calls) == ["up"]
    assert docker("exec", node, "cat", f"/etc/containerd/certs.d/localhost:{project.port}/hosts.toml").returncode == 0
    # The stack exists and its file names this kindplane.yaml: no `stack select`, no `config` read.
    assert not [verb for verb in verbs(calls) if verb.startswith(("stack select", "config"))], verbs(calls)

    # The registry container removed by hand: Docker no longer shows what the state has, so up
    # refreshes first (drift read, plan checked) and brings it back.
    calls.unlink()
    docker("rm", "-f", project.registry)
    project.kindplane("-c", str(project.config_path), "up", PATH=path)
    # refreshed and saved first (the program must see the container gone), the drift's plan, up
    assert engine_runs(calls) == ["refresh", "preview", "up"]
    assert docker("inspect", "-f", "{{.State.Running}}", project.registry).stdout.strip() == "true"

    # A config change the plan check reads: two engine runs, the plan and the update.
    calls.unlink()
    project.write_config(project.config_path.read_text().replace(f"port: {project.port}", f"port: {free_port()}"))
    project.kindplane("-c", str(project.config_path), "up", PATH=path)
    assert engine_runs(calls) == ["preview", "up"]  # the plan on the refreshed state, then up
    assert not [verb for verb in verbs(calls) if verb.startswith(("stack select", "config"))], verbs(calls)
    assert all("--refresh" in line for line in calls_of(calls, "up", "preview"))

    # down with Docker as the state records it: one engine run, no refresh (as `pulumi destroy`).
    calls.unlink()
    project.kindplane("-c", str(project.config_path), "down", "--force", PATH=path)
    assert engine_runs(calls) == ["destroy"]
    assert "--refresh" not in calls_of(calls, "destroy")[0]
    assert "stack select" not in verbs(calls), verbs(calls)  # the checkpoint says the stack exists
    assert project.managed_resources() == []
    assert docker("inspect", project.registry, check=False).returncode != 0

    # up after down: the state holds nothing and nothing is pending: no refresh, one engine run.
    calls.unlink()
    project.kindplane("-c", str(project.config_path), "up", PATH=path)
    assert engine_runs(calls) == ["up"]
    assert docker("inspect", "-f", "{{.State.Running}}", project.registry).stdout.strip() == "true"

    # down after the registry was removed by hand: the destroy refreshes first (one run still),
    # so the gone container is dropped from the state, and everything else goes.
    calls.unlink()
    docker("rm", "-f", project.registry)
    down = project.kindplane("-c", str(project.config_path), "down", "--force", PATH=path)
    assert engine_runs(calls) == ["destroy"]
    assert "--refresh" in calls_of(calls, "destroy")[0]
    assert "stack select" not in verbs(calls), verbs(calls)
    assert f"Registry {project.registry} and its images were deleted." in down.stdout
    assert project.managed_resources() == []
    assert docker("ps", "-aq", "--filter", f"label=io.x-k8s.kind.cluster={project.cluster}").stdout.strip() == ""
