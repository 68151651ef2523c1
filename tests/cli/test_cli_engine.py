"""PulumiEngine's own logic with the real Automation API types (no Pulumi CLI is run here)."""
from __future__ import annotations

import pytest
from pulumi.automation import errors
from pulumi.automation._cmd import CommandResult
from pulumi.automation.events import EngineEvent

from kindplane.cli.engine import (
    EngineError,
    ProgramRefused,
    PulumiEngine,
    ResourceStep,
    StackBusy,
    StackTarget,
    kind_cluster_of,
)
from kindplane.config import parse_config

LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`."
)


def engine_for(text: str = "cluster: {name: demo}\n", backend: str = "file:///home/u/.kindplane/state") -> PulumiEngine:
    return PulumiEngine(StackTarget("dev", backend, parse_config(text)))


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
        engine_for(backend="s3://bucket")._run(failing("error: [409] Conflict: Another update is currently in progress."))


def test_resource_errors_come_from_diagnostics_not_the_whole_transcript():
    engine = engine_for()
    on_event = engine._on_event(lambda step: None)
    engine._diagnostics.clear()

    def call():
        on_event(EngineEvent.from_json({"diagnosticEvent": {"message": "  kind: command not found\n", "severity": "error"}}))
        on_event(EngineEvent.from_json({"diagnosticEvent": {"message": "just info", "severity": "info"}}))
        raise errors.create_command_error(CommandResult(stdout="Updating (dev)\n... 300 lines ...", stderr="", code=255))

    with pytest.raises(EngineError) as info:
        engine._run(call)
    assert str(info.value) == "kind: command not found"


def test_without_diagnostics_the_error_lines_of_the_output_are_kept():
    with pytest.raises(EngineError) as info:
        engine_for()._run(failing("error: failed to load plugin docker\nmore detail"))
    assert str(info.value) == "error: failed to load plugin docker"


def test_a_refusal_raised_inside_the_program_is_reported_as_that_one_line():
    engine = engine_for()

    def call():
        engine._refusal.append(ValueError("a container named 'kind-registry' exists but was not created by kindplane"))
        raise errors.create_command_error(CommandResult(stdout="python inline source runtime error: ...", stderr="", code=255))

    with pytest.raises(ProgramRefused) as info:
        engine._run(call)
    assert str(info.value) == "a container named 'kind-registry' exists but was not created by kindplane"


def test_engine_events_become_resource_steps():
    seen: list[ResourceStep] = []
    handle = engine_for()._on_event(seen.append)
    urn = "urn:pulumi:dev::kindplane::kindplane:index:Environment$command:local:Command::kindplane-cluster-kind"
    meta = {"op": "create", "urn": urn, "type": "command:local:Command", "provider": ""}
    handle(EngineEvent.from_json({"resourcePreEvent": {"metadata": meta}}))
    handle(EngineEvent.from_json({"resOutputsEvent": {"metadata": meta}}))
    handle(EngineEvent.from_json({"resOpFailedEvent": {"metadata": meta, "status": 1, "steps": 1}}))
    assert seen == [
        ResourceStep("start", "create", "command:local:Command", "kindplane-cluster-kind"),
        ResourceStep("done", "create", "command:local:Command", "kindplane-cluster-kind"),
        ResourceStep("failed", "create", "command:local:Command", "kindplane-cluster-kind"),
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


def test_the_inline_program_builds_the_shared_program_graph():
    from support.pulumi_mocks import run_program

    run = run_program(engine_for("cluster: {name: inline}\n")._program)
    assert run.outputs["clusterName"] == "inline"
    assert run.outputs["nodeNames"] == ["inline-control-plane"]
    assert "kind create cluster --name inline --config -" in [r.inputs.get("create") for r in run.of_type("command:local:Command")]


@pytest.mark.docker
def test_a_foreign_registry_container_stops_the_program_with_its_one_line(registry_image, docker_ready):
    from harness.docker_env import docker
    from harness.names import free_port, unique_name
    from kindplane.docker_lookup import AdoptionError

    name = unique_name("kpt-foreign")
    engine = engine_for(f"cluster:\n  name: demo\n  registry: {{enabled: true, name: {name}, port: {free_port()}}}\n")
    docker("create", "--name", name, registry_image)

    def call():
        try:
            engine._program()  # what the Automation API's language server runs
        except AdoptionError:
            pass  # the CLI run then fails and the API raises a CommandError
        raise errors.create_command_error(CommandResult(stdout="python inline source runtime error", stderr="", code=255))

    try:
        with pytest.raises(ProgramRefused) as info:
            engine._run(call)
    finally:
        docker("rm", "-f", name, check=False)
    assert str(info.value).startswith(f"a container named '{name}' exists but was not created by kindplane")
