"""PulumiEngine's own logic with the real Automation API types (no Pulumi CLI is run here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.automation import errors
from pulumi.automation._cmd import CommandResult
from pulumi.automation.events import EngineEvent

from kindplane.cli.engine import (
    EngineError,
    ProgramRefused,
    PulumiEngine,
    RegistryFate,
    ResourceStep,
    StackBusy,
)
from kindplane.cli.state import kind_cluster_of, registry_fate_of, stack_outputs_of
from kindplane.cli.workspace import StackTarget

LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`."
)


def engine_for(backend: str = "file:///home/u/.kindplane/state") -> PulumiEngine:
    project = Path("/home/u/project")
    return PulumiEngine(StackTarget("dev", project, "kindplane.yaml", project / "kindplane.yaml", backend, False))


def failing(stderr: str, stdout: str = ""):
    def call():
        raise errors.create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=255))

    return call


def test_the_lock_error_is_translated_into_plain_words_with_the_lock_path():
    with pytest.raises(StackBusy) as info:
        engine_for()._run(failing(LOCKED))
    message = str(info.value)
    assert message.startswith("another kindplane run is updating stack 'dev' right now; wait for it to finish")
    assert "rm -r /home/u/.kindplane/state/.pulumi/locks/organization/kindplane/dev" in message


def test_the_lock_hint_for_other_backends_is_pulumi_cancel():
    with pytest.raises(StackBusy, match=r"pulumi cancel --stack dev"):
        engine_for(backend="s3://bucket")._run(
            failing("error: [409] Conflict: Another update is currently in progress.")
        )


def test_resource_errors_come_from_diagnostics_not_the_whole_transcript():
    engine = engine_for()
    on_event = engine._on_event(lambda step: None)
    engine._diagnostics.clear()

    def call():
        on_event(
            EngineEvent.from_json({"diagnosticEvent": {"message": "  kind: command not found\n", "severity": "error"}})
        )
        on_event(EngineEvent.from_json({"diagnosticEvent": {"message": "just info", "severity": "info"}}))
        raise errors.create_command_error(
            CommandResult(stdout="Updating (dev)\n... 300 lines ...", stderr="", code=255)
        )

    with pytest.raises(EngineError) as info:
        engine._run(call)
    assert str(info.value) == "kind: command not found"


def test_without_diagnostics_the_error_lines_of_the_output_are_kept():
    with pytest.raises(EngineError) as info:
        engine_for()._run(failing("error: failed to load plugin docker\nmore detail"))
    assert str(info.value) == "error: failed to load plugin docker"


def test_an_error_the_program_reports_on_the_stack_is_the_one_line_shown():
    engine = engine_for()
    handle = engine._on_event(lambda step: None)
    message = "a container named 'kind-registry' exists but was not created by kindplane"

    def call():
        handle(
            EngineEvent.from_json(
                {
                    "diagnosticEvent": {
                        "urn": "urn:pulumi:dev::kindplane::pulumi:pulumi:Stack::kindplane-dev",
                        "message": message + "\n",
                        "color": "never",
                        "severity": "error",
                    }
                }
            )
        )
        raise errors.create_command_error(CommandResult(stdout="", stderr="error: update failed", code=255))

    with pytest.raises(ProgramRefused) as info:
        engine._run(call)
    assert str(info.value) == message


def test_engine_events_become_resource_steps():
    seen: list[ResourceStep] = []
    handle = engine_for()._on_event(seen.append)
    urn = "urn:pulumi:dev::kindplane::kindplane:index:Environment$command:local:Command::kindplane-cluster-kind"
    meta = {"op": "create", "urn": urn, "type": "command:local:Command", "provider": ""}
    handle(EngineEvent.from_json({"resourcePreEvent": {"metadata": meta}}))
    handle(EngineEvent.from_json({"resOutputsEvent": {"metadata": meta}}))
    handle(EngineEvent.from_json({"resOpFailedEvent": {"metadata": meta, "status": 1, "steps": 1}}))
    assert seen == [
        ResourceStep("start", "create", "command:local:Command", "kindplane-cluster-kind", urn),
        ResourceStep("done", "create", "command:local:Command", "kindplane-cluster-kind", urn),
        ResourceStep("failed", "create", "command:local:Command", "kindplane-cluster-kind", urn),
    ]


def test_the_cluster_a_state_resource_manages_is_read_from_its_kind_command():
    kind = {"type": "command:local:Command", "inputs": {"create": "kind create cluster --name 'shop' --config -"}}
    hosts = {"type": "command:local:Command", "inputs": {"create": "docker exec -i shop-control-plane sh -c 'x'"}}
    container = {"type": "docker:index/container:Container", "inputs": {"name": "kind-registry"}}
    assert [kind_cluster_of(r) for r in (kind, hosts, container, {})] == ["shop", None, None, None]


def test_the_environment_sets_an_empty_passphrase_only_when_none_is_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("KINDPLANE_HOME", str(tmp_path))
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    env = engine_for()._env()
    assert env["PULUMI_CONFIG_PASSPHRASE"] == ""
    assert env["PATH"].split(":")[:2] == [str(tmp_path / "bin"), str(tmp_path / "pulumi" / "bin")]
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "/secret")
    assert "PULUMI_CONFIG_PASSPHRASE" not in engine_for()._env()


def test_what_destroy_does_to_the_registry_is_read_from_the_state_not_the_config():
    container = {"type": "docker:index/container:Container", "retainOnDelete": True, "outputs": {"name": "reg"}}
    volume = {"type": "docker:index/volume:Volume", "retainOnDelete": True, "outputs": {"name": "reg-data"}}
    assert registry_fate_of([container, volume]) == RegistryFate("reg", True, "reg-data")
    deleted = {"type": "docker:index/container:Container", "inputs": {"name": "reg"}}
    assert registry_fate_of([deleted]) == RegistryFate("reg", False, None)
    assert registry_fate_of([]) is None
    adopted = {"type": "docker:index/container:Container", "external": True, "outputs": {"name": "reg"}}
    assert registry_fate_of([adopted, volume]) == RegistryFate("reg", True, "reg-data")


def test_the_config_file_a_stack_was_last_updated_from_is_its_output():
    root = {"type": "pulumi:pulumi:Stack", "outputs": {"configFile": "/home/u/shop/kindplane.yaml"}}
    assert stack_outputs_of([root]) == {"configFile": "/home/u/shop/kindplane.yaml"}
    assert stack_outputs_of([{"type": "pulumi:pulumi:Stack"}]) == {}


def test_the_program_runs_on_this_interpreter_and_a_given_backend_is_passed_on(monkeypatch, tmp_path):
    import sys

    monkeypatch.setenv("KINDPLANE_HOME", str(tmp_path))
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)
    env = engine_for("file:///tmp/state")._env()
    assert env["PULUMI_PYTHON_CMD"] == sys.executable
    assert env["PULUMI_BACKEND_URL"] == "file:///tmp/state"
    project = Path("/p")
    pinned = PulumiEngine(StackTarget("dev", project, "k.yaml", project / "k.yaml", None, False))
    assert "PULUMI_BACKEND_URL" not in pinned._env()  # the project's backend.url decides
