"""`-o json|yaml`: documents with stable keys on stdout, nothing else there; `kindplane ls`."""

from __future__ import annotations

import json

import yaml
from recording_engine import step


def test_config_kind_as_json_is_the_same_document_as_the_yaml(cli, write_config):
    path = write_config("cluster:\n  name: docs\n  nodes: {controlPlane: 1, workers: 1}\n")
    as_yaml = cli(["config", "kind", "-c", str(path)])
    as_json = cli(["config", "kind", "-o", "json", "-c", str(path)])
    assert as_json.exit_code == as_yaml.exit_code == 0
    assert json.loads(as_json.stdout) == yaml.safe_load(as_yaml.stdout)
    assert json.loads(as_json.stdout)["name"] == "docs"


def test_preview_as_json_lists_the_planned_steps_and_every_count(cli, engine, tools, write_config):
    path = write_config("cluster: {name: plan}\n")
    engine.steps = [step("start", "create", "plan-kind"), step("start", "same", "kindplane")]
    engine.counts = {"create": 1, "same": 1}
    result = cli(["preview", "-o", "json", "-c", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["stack", "drift", "steps", "counts"]
    assert data["drift"] == []  # nothing changed by hand
    assert data["steps"] == [{"op": "create", "name": "plan-kind", "type": "command:local:Command"}]
    assert data["counts"] == {"create": 1, "update": 0, "replace": 0, "delete": 0, "same": 1}


LISTED = [
    {
        "stack": "dev",
        "lastUpdate": "2026-11-27T03:10:00.000Z",
        "resourceCount": 9,
        "updateInProgress": False,
        "outputs": {
            "clusterName": "dev",
            "registryHost": "localhost:5001",
            "configFile": "/p/stacks/dev.kindplane.yaml",
            "mirrors": {"ghcr.io": "kindplane-mirror-ghcr-io:5000", "docker.io": "kindplane-mirror-docker-io:5000"},
        },
    },
    {"stack": "e2e", "lastUpdate": None, "resourceCount": None, "updateInProgress": False, "outputs": {}},
]


def test_ls_shows_every_stack_of_the_backend_as_a_table(cli, engine, tools, write_config):
    engine.stacks = LISTED
    result = cli(["ls", "-c", str(write_config("cluster: {name: any}\n"))])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["STACK", "CLUSTER", "REGISTRY", "MIRRORS", "LAST", "UPDATE", "RESOURCES"],
        ["dev", "dev", "localhost:5001", "docker.io,", "ghcr.io", "2026-11-27T03:10:00.000Z", "9"],
        ["e2e", "-", "-", "-", "never", "-"],
    ]
    assert engine.names == ["list_stacks"]


def test_ls_as_json_has_one_object_per_stack_with_stable_keys(cli, engine, tools, write_config):
    engine.stacks = LISTED
    result = cli(["ls", "-o", "json", "-c", str(write_config("cluster: {name: any}\n"))])
    rows = json.loads(result.stdout)
    assert [list(row) for row in rows] == [
        [
            "stack",
            "cluster",
            "registry",
            "mirrors",
            "configFile",
            "lastUpdate",
            "resourceCount",
            "updateInProgress",
        ]
    ] * 2
    assert rows[0]["mirrors"] == ["docker.io", "ghcr.io"] and rows[1]["cluster"] is None


def test_ls_of_an_empty_backend_says_how_to_make_a_stack(cli, engine, tools, write_config):
    result = cli(["ls", "-c", str(write_config("cluster: {name: any}\n"))])
    assert result.exit_code == 0
    assert "`kindplane up` creates one." in result.stdout


def test_messages_to_stderr_moves_every_way_of_printing_results(capsys):
    from kindplane.cli import ui

    with ui.messages_to_stderr():
        ui.say("said")
        ui.out.print("printed")  # what Progress and the summary use
    ui.say("after")
    captured = capsys.readouterr()
    assert captured.out == "after\n"
    assert captured.err == "said\nprinted\n"


STRUCTURED = [
    ["up"],
    ["preview"],
    ["ls"],
    ["status"],
    ["doctor"],
    ["config", "kind"],
    ["registry", "ls"],
    ["registry", "push"],
    ["registry", "rm"],
    ["registry", "gc"],
    ["registry", "du"],
    ["registry", "prune"],
    ["registry", "export"],
    ["registry", "import"],
    ["registry", "preload"],
]


def test_every_command_with_a_document_takes_o_json_or_yaml_and_no_visible_json_flag(cli):
    for command in STRUCTURED:
        shown = cli([*command, "--help"])
        assert shown.exit_code == 0, (command, shown.output)
        assert "-o, --output <text|json|yaml>" in shown.stdout, command
        assert "--json" not in shown.stdout, command
