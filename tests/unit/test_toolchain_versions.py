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


@pytest.mark.parametrize(
    ("package", "variable", "requirement"),
    [
        ("pulumi_command", "PULUMI_COMMAND_VERSION", "pulumi-command"),
        ("pulumi_docker", "PULUMI_DOCKER_VERSION", "pulumi-docker"),
        ("pulumi_kubernetes", "PULUMI_KUBERNETES_VERSION", "pulumi-kubernetes"),
    ],
)
def test_each_provider_plugin_is_built_at_the_version_its_sdk_asks_for(package, variable, requirement):
    asked = json.loads(importlib.resources.files(package).joinpath("pulumi-plugin.json").read_text())["version"]
    assert pinned()[variable] == asked
    for file in ("requirements.txt", "pyproject.toml"):
        assert f"{requirement}=={asked}" in (REPO / file).read_text(), file


def test_the_python_sdk_is_pinned_where_the_toolchain_says():
    for file in ("requirements.txt", "pyproject.toml"):
        assert f"pulumi=={pinned()['PULUMI_VERSION']}" in (REPO / file).read_text(), file


def test_setup_the_preflight_floor_message_and_the_test_toolchain_name_one_pulumi_cli():
    """Users get the Pulumi CLI every real-engine test runs, and are told which one it is."""
    import inspect

    from kindplane.core.versions import PULUMI_CLI_VERSION, pulumi_cli_problem
    from kindplane.ops.setup_tools import install_pulumi

    assert PULUMI_CLI_VERSION == pinned()["PULUMI_CLI_VERSION"]
    assert inspect.signature(install_pulumi).parameters["version"].default == PULUMI_CLI_VERSION
    assert f"run `kindplane setup` (installs {PULUMI_CLI_VERSION}," in pulumi_cli_problem("v3.100.0")
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"and the Pulumi CLI {PULUMI_CLI_VERSION} — the version every real-engine test runs" in readme


def test_setup_installs_the_kind_release_the_toolchain_builds_and_tests():
    """`kindplane setup`'s kind is the one tests/kind runs (loader, validation, patch code)."""
    from kindplane.core.node_images import node_image_table
    from kindplane.ops.tools import KIND_VERSION

    assert KIND_VERSION == pinned()["KIND_VERSION"] == node_image_table().kind_release
    # Every release the node image table names has its kind module fetched by build_kind.sh, so
    # tests/kind can check each row against it offline.
    releases = {row.kind_release for row in node_image_table().rows.values()}
    assert releases <= set(pinned()["KIND_TABLE_RELEASES"].strip('"').split()) | {KIND_VERSION}
    # The pages that say which kind setup installs say this one (a merge once left them at an old one).
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"`kindplane setup` installs kind {KIND_VERSION} (pinned, SHA-256 checked)" in readme
    assert f"releases/tag/{KIND_VERSION}" in readme  # the release whose files `setup --from` takes
    cli = (REPO / "docs" / "cli.md").read_text()
    assert f"always `kind version` = {KIND_VERSION}" in cli
    assert f"kindplane setup installs kind {KIND_VERSION}: carry" in cli
