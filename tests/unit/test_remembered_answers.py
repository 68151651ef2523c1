"""What kindplane remembers between runs to keep a no-op `up` off the Pulumi CLI: a tool's
`version` answer while the binary is the same file. (The stack's outputs: test_state_secrets.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
