"""One state whatever the home: a project pinning `file://~/…` is one folder for kindplane and for
the Pulumi CLI when $HOME is not the account's home (sudo without -H, some CI and container
set-ups): Pulumi reads `~` from the OS account, and so does kindplane."""

from __future__ import annotations

import json
import shutil

import yaml
from harness.engine import engine_config, make_project
from harness.names import free_port, unique_name

from kindplane.ops.tools import account_home


def test_kindplane_and_the_pulumi_cli_share_the_state_when_home_points_elsewhere(engine_ready, tmp_path):
    folder = f".kindplane-test-{unique_name('home')}"
    state = account_home() / folder / "state"
    project = make_project(tmp_path, "home", engine_config(unique_name("kpe"), unique_name("kpe-reg"), free_port()))
    settings = yaml.safe_load((project.root / "Pulumi.yaml").read_text())
    settings["backend"] = {"url": f"file://~/{folder}/state"}  # as the repository's Pulumi.yaml pins it
    (project.root / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    other_home = tmp_path / "other-home"
    other_home.mkdir()
    config = str(project.config_path)
    try:
        # Neither folder exists yet: kindplane makes the one Pulumi will open.
        empty = project.kindplane("-c", config, "ls", "-o", "json", HOME=str(other_home))
        assert json.loads(empty.stdout) == []
        assert state.is_dir() and not (other_home / folder).exists()

        # The other door, with the same $HOME, sees the same backend: a stack it makes is kindplane's.
        project.run(["pulumi", "stack", "init", "home", "--non-interactive"], env=project.env(HOME=str(other_home)))
        listed = project.kindplane("-c", config, "ls", "-o", "json", HOME=str(other_home))
        assert [row["stack"] for row in json.loads(listed.stdout)] == ["home"]
        assert sorted(p.name for p in (state / ".pulumi" / "stacks" / "kindplane").iterdir())[:1] == ["home.json"]

        doctor = project.kindplane("-c", config, "doctor", "--json", HOME=str(other_home), check=False)
        checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
        assert checks["Pulumi state"] == {
            "name": "Pulumi state",
            "status": "ok",
            "detail": f"stack home in {state}",
            "fix": None,
        }
    finally:
        shutil.rmtree(account_home() / folder, ignore_errors=True)
