"""CLI tests: run the real Typer app in-process (CliRunner) with a recording Engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import path_without_tools, write_exe  # noqa: F401  (used by fixtures below)
from harness.fixtures import *  # noqa: F401,F403  (docker_ready, cluster_factory, registry_factory, …)
from recording_engine import RecordingEngine
from typer.testing import CliRunner

from kindplane.cli.app import app
from kindplane.cli.context import CliContext


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty KINDPLANE_HOME, and a PATH with neither kind nor pulumi on it."""
    home = tmp_path / "kp-home"
    monkeypatch.setenv("KINDPLANE_HOME", str(home))
    monkeypatch.setenv("PATH", path_without_tools(tmp_path / "tool-links"))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    return home


@pytest.fixture
def tools(home) -> Path:
    """kind and pulumi present where `kindplane setup` would put them (never run by these tests)."""
    write_exe(home / "bin" / "kind", "#!/bin/sh\necho 'kind v0.33.0 go1.26.8 linux/amd64'\n")
    write_exe(home / "pulumi" / "bin" / "pulumi", "#!/bin/sh\necho v3.272.0\n")
    return home


@pytest.fixture
def engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture
def cli(engine):
    """cli(args, input=None, interactive=None) → click Result, with the recording engine."""
    runner = CliRunner()

    def invoke(args, input=None, interactive=None):
        obj = CliContext(engine_factory=engine.factory, interactive=interactive)
        return runner.invoke(app, args, input=input, obj=obj, catch_exceptions=False)

    return invoke


@pytest.fixture
def write_config(tmp_path):
    def write(text: str, name: str = "kindplane.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
