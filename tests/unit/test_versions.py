"""Version floors: the parsing and the words users see."""

from __future__ import annotations

from importlib import metadata

import pytest

from kindplane.core import versions


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("v3.272.0", (3, 272, 0)),
        ("3.174.0-alpha.1\n", (3, 174, 0)),
        ("5.1", (5, 1, 0)),
        ("", ()),
    ],
)
def test_versions_are_read_from_what_the_tools_print(text, parsed):
    assert versions.parse_version(text) == parsed


def test_the_pulumi_cli_floor_is_3_182_resource_hooks():
    assert versions.pulumi_cli_problem("v3.182.0") is None
    assert versions.pulumi_cli_problem("v3.181.9").startswith("the Pulumi CLI is v3.181.9; kindplane needs >= 3.182.0")


def test_an_old_pulumi_docker_stops_the_program_with_the_fix(monkeypatch):
    monkeypatch.setattr(metadata, "version", lambda name: "4.11.2")
    with pytest.raises(versions.VersionTooOld) as caught:
        versions.check_provider_versions()
    assert str(caught.value) == (
        "pulumi-docker 4.11.2 is installed; kindplane needs >= 5.1 (older versions delete a stopped "
        "registry container on refresh, kept or not): run `pip install -r requirements.txt`"
    )


def test_the_installed_sdks_meet_the_floors():
    versions.check_provider_versions()
    assert versions.parse_version(metadata.version("pulumi")) >= versions.MIN_PULUMI_CLI
