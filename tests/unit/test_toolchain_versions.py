"""The test toolchain's provider plugins are the versions the installed SDKs ask for."""
from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "tests" / "harness" / "toolchain" / "versions.env"


def pinned() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in VERSIONS.read_text().splitlines() if re.match(r"^[A-Z_]+=", line))
    return {key: value.strip() for key, value in pairs}


@pytest.mark.parametrize(("package", "variable", "requirement"), [
    ("pulumi_command", "PULUMI_COMMAND_VERSION", "pulumi-command"),
    ("pulumi_docker", "PULUMI_DOCKER_VERSION", "pulumi-docker"),
    ("pulumi_kubernetes", "PULUMI_KUBERNETES_VERSION", "pulumi-kubernetes"),
])
def test_each_provider_plugin_is_built_at_the_version_its_sdk_asks_for(package, variable, requirement):
    asked = json.loads(importlib.resources.files(package).joinpath("pulumi-plugin.json").read_text())["version"]
    assert pinned()[variable] == asked
    for file in ("requirements.txt", "pyproject.toml"):
        assert f"{requirement}=={asked}" in (REPO / file).read_text(), file


def test_the_python_sdk_is_pinned_where_the_toolchain_says():
    for file in ("requirements.txt", "pyproject.toml"):
        assert f"pulumi=={pinned()['PULUMI_VERSION']}" in (REPO / file).read_text(), file
