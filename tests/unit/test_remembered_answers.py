"""What kindplane remembers between runs to keep a no-op `up` off the Pulumi CLI: a tool's
`version` answer while the binary is the same file, the stack's outputs while the checkpoint is
byte for byte the same (and only under kindplane's own empty passphrase)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kindplane.cli import outputs_cache
from kindplane.cli.checkpoint import state_digest
from kindplane.cli.engine import PulumiEngine
from kindplane.cli.workspace import StackTarget
from kindplane.ops import tool_versions


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KINDPLANE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(tool_versions, "_answers", {})
    return tmp_path / "home"


def counting_tool(folder: Path, answer: str) -> tuple[Path, Path]:
    """A `tool version` that prints `answer` and appends a line to a file per call."""
    calls = folder / "calls"
    tool = folder / "tool"
    tool.write_text(f"#!/bin/sh\necho x >> '{calls}'\necho '{answer}'\n")
    tool.chmod(0o755)
    return tool, calls


def asked(calls: Path) -> int:
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def test_a_tool_is_asked_once_across_runs_and_again_once_its_file_changes(home, tmp_path, monkeypatch):
    tool, calls = counting_tool(tmp_path, "kind v0.33.0 go1.26 linux/amd64")
    assert tool_versions.version_output(str(tool)) == "kind v0.33.0 go1.26 linux/amd64"
    monkeypatch.setattr(tool_versions, "_answers", {})  # the next run: a new process
    assert tool_versions.version_output(str(tool)) == "kind v0.33.0 go1.26 linux/amd64"
    assert asked(calls) == 1
    assert json.loads(tool_versions.cache_file().read_text()) == {
        tool_versions.identity(str(tool)): "kind v0.33.0 go1.26 linux/amd64"
    }

    # Upgraded in place (another file at the same path): asked again, the old answer dropped.
    tool.write_text(tool.read_text().replace("v0.33.0", "v0.34.0"))
    monkeypatch.setattr(tool_versions, "_answers", {})
    assert tool_versions.version_output(str(tool)) == "kind v0.34.0 go1.26 linux/amd64"
    assert asked(calls) == 2
    assert list(json.loads(tool_versions.cache_file().read_text()).values()) == ["kind v0.34.0 go1.26 linux/amd64"]


def test_a_failing_or_silent_tool_is_never_remembered(home, tmp_path):
    tool = tmp_path / "broken"
    tool.write_text("#!/bin/sh\nexit 3\n")
    tool.chmod(0o755)
    assert tool_versions.version_output(str(tool)) == ""
    assert not tool_versions.cache_file().exists()
    with pytest.raises(OSError):
        tool_versions.version_output(str(tmp_path / "missing"))


def test_an_unwritable_cache_only_means_asking_again(home, tmp_path):
    home.mkdir()
    (home / "cache").write_text("a file where the folder should be")
    tool, calls = counting_tool(tmp_path, "v3.200.0")
    assert tool_versions.version_output(str(tool)) == "v3.200.0"
    assert tool_versions.version_output(str(tool)) == "v3.200.0"  # this process remembers it
    assert asked(calls) == 1


def write_checkpoint(backend: Path, stack: str, outputs: dict) -> Path:
    (backend / ".pulumi").mkdir(parents=True, exist_ok=True)
    (backend / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    path = backend / ".pulumi" / "stacks" / "kindplane" / f"{stack}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 3, "checkpoint": {"latest": {"resources": [], "outputs": outputs}}}))
    return path


def test_outputs_are_used_only_while_the_checkpoint_is_the_same_and_kept_owner_only(home, tmp_path):
    backend = tmp_path / "state"
    checkpoint = write_checkpoint(backend, "dev", {"kubeconfig": "ciphertext"})
    state = state_digest(backend, "kindplane", "dev")
    path = outputs_cache.cache_path(backend, "kindplane", "dev")
    outputs_cache.remember(path, state, {"kubeconfig": "apiVersion: v1"})
    assert outputs_cache.remembered(path, state) == {"kubeconfig": "apiVersion: v1"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    checkpoint.write_text(checkpoint.read_text().replace("ciphertext", "ciphertext2"))  # any later run
    assert state_digest(backend, "kindplane", "dev") != state
    assert outputs_cache.remembered(path, state_digest(backend, "kindplane", "dev")) is None
    assert outputs_cache.cache_path(backend, "kindplane", "prod") != path  # one file per stack


def engine_for(tmp_path: Path, backend: Path) -> PulumiEngine:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    return PulumiEngine(
        StackTarget(
            stack="dev",
            project_dir=project,
            config_file=str(project / "kindplane.yaml"),
            config_path=project / "kindplane.yaml",
            backend=f"file://{backend}",
            own_project=True,
        )
    )


def test_the_engine_reads_outputs_from_the_cache_without_the_cli_only_under_its_own_passphrase(
    home, tmp_path, monkeypatch
):
    backend = tmp_path / "state"
    write_checkpoint(backend, "dev", {"kubeconfig": "ciphertext"})
    for variable in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(variable, raising=False)
    engine = engine_for(tmp_path, backend)
    kept = engine._kept_outputs()
    assert kept == outputs_cache.cache_path(backend, "kindplane", "dev")
    outputs_cache.remember(kept, state_digest(backend, "kindplane", "dev"), {"kubeconfig": "apiVersion: v1"})

    def no_cli(*_args):
        raise AssertionError("the Pulumi CLI was started")

    monkeypatch.setattr(PulumiEngine, "_command", no_cli)
    assert engine.outputs() == {"kubeconfig": "apiVersion: v1"}

    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")  # the empty one, as the Pulumi door's docs export it
    assert engine_for(tmp_path, backend).outputs() == {"kubeconfig": "apiVersion: v1"}

    for variable, value in (("PULUMI_CONFIG_PASSPHRASE", "the user's own"), ("PULUMI_CONFIG_PASSPHRASE_FILE", "/k")):
        with monkeypatch.context() as scoped:
            scoped.setenv(variable, value)
            assert engine_for(tmp_path, backend)._kept_outputs() is None
            with pytest.raises(AssertionError, match="the Pulumi CLI was started"):
                engine_for(tmp_path, backend).outputs()
