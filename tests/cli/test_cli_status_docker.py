"""`kindplane status` against a real Docker engine: stand-in kind nodes and a real registry:2.

status is a short view of doctor's checks: the same names and fixes, one line per check."""

from __future__ import annotations

import json

import pytest
import yaml
from harness.docker_env import docker
from harness.fixtures import push_to
from harness.names import unique_name
from harness.shell import run_program_command

from kindplane.core.naming import data_volume_name

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("fake_tools")]


@pytest.fixture(scope="module")
def environment(module_cluster_factory, registry_image, tmp_path_factory):
    """What `up` builds, made by running the program's own commands: 1 control plane, 1 worker."""
    from harness.fixtures import RegistryFactory
    from harness.names import free_port
    from harness.program_commands import config_text, program_commands

    name = unique_name("kpt-st")
    text = config_text(name, 1, 1, f"{name}-reg", free_port())
    commands = program_commands(text)
    registries = RegistryFactory()
    try:
        from harness import registry as registry_mod

        registries.containers.append(commands.config.cluster.registry.name)
        registries.volumes.append(data_volume_name(commands.config.cluster.registry.name))  # run_registry makes it
        registry_mod.run_registry(commands.registry_container)
        module_cluster_factory.from_commands(commands)
        for command in [commands.network_join, *commands.hosts_toml.values()]:
            result = run_program_command(command, "create")
            assert result.returncode == 0, result.stderr
        path = tmp_path_factory.mktemp("status") / "kindplane.yaml"
        path.write_text(text)
        yield commands.config, path
    finally:
        registries.cleanup()


def lines(result) -> list[str]:
    return [line.rstrip() for line in result.stdout.splitlines() if line.strip()]


def test_everything_in_place_passes_with_one_line_per_check(cli, environment):
    config, path = environment
    name, reg = config.cluster.name, config.cluster.registry
    result = cli(["-c", str(path), "status"])
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        "✓ kind installed",
        "✓ Pulumi CLI installed",
        "✓ Pulumi state",
        "✓ Docker daemon reachable",
        "✓ docker CLI on the same daemon",
        f"✓ registry container {reg.name} running",
        f"✓ GET http://localhost:{reg.port}/v2/",
        "✓ registry on the 'kind' network",
        f"✓ registry published on 127.0.0.1:{reg.port} only",
        f"✓ node {name}-control-plane",
        f"✓ {name}-control-plane: hosts.toml",
        f"✓ {name}-control-plane: containerd config_path",
        f"✓ node {name}-worker",
        f"✓ {name}-worker: hosts.toml",
        f"✓ {name}-worker: containerd config_path",
        "all 15 checks passed",  # the ConfigMap check is skipped: no API server here
    ]


def test_status_and_doctor_run_the_same_checks(cli, environment):
    _, path = environment
    status = json.loads(cli(["-c", str(path), "status", "-o", "json"]).stdout)
    doctor = json.loads(cli(["-c", str(path), "doctor", "-o", "json"]).stdout)
    assert [c["name"] for c in status["checks"]] == [c["name"] for c in doctor["checks"]]
    assert [c["status"] for c in status["checks"]] == [c["status"] for c in doctor["checks"]]


def test_json_and_yaml_carry_every_check_with_stable_keys(cli, environment, app_image):
    config, path = environment
    port = config.cluster.registry.port
    push_to(f"localhost:{port}", app_image, "status-count:1")
    as_json = cli(["-c", str(path), "status", "-o", "json"])
    as_yaml = cli(["status", "-o", "yaml", "-c", str(path)])
    assert as_json.exit_code == as_yaml.exit_code == 0
    data = json.loads(as_json.stdout)
    assert yaml.safe_load(as_yaml.stdout) == data
    assert list(data) == ["cluster", "ok", "checks"]
    assert (data["cluster"], data["ok"]) == (config.cluster.name, True)
    assert all(list(c) == ["name", "status", "detail", "fix"] for c in data["checks"])
    api = next(c for c in data["checks"] if c["name"] == f"GET http://localhost:{port}/v2/")
    assert api["detail"] == "HTTP 200, 1 image(s)"


def test_a_missing_hosts_toml_fails_and_says_what_to_run(cli, environment):
    config, path = environment
    node = f"{config.cluster.name}-worker"
    missing = f"/etc/containerd/certs.d/localhost:{config.cluster.registry.port}/hosts.toml"
    saved = docker("exec", node, "cat", missing).stdout
    docker("exec", node, "rm", missing)
    try:
        result = cli(["-c", str(path), "status"])
    finally:
        docker("exec", "-i", node, "sh", "-c", f"cat > '{missing}'", input=saved)
    assert result.exit_code == 1
    out = lines(result)
    failed = out.index(f"✗ {node}: hosts.toml: {missing} missing")
    assert out[failed + 1].startswith("    fix: printf '%s\\n' ") and node in out[failed + 1]
    assert out[-1] == "1 of 15 checks failed"


def test_a_stopped_registry_fails_with_docker_start(cli, environment):
    config, path = environment
    reg = config.cluster.registry
    docker("stop", "-t", "1", reg.name)
    try:
        result = cli(["-c", str(path), "status"])
    finally:
        docker("start", reg.name)
    assert result.exit_code == 1
    out = lines(result)
    stopped = out.index(f"✗ registry container {reg.name} running: container is exited")
    assert out[stopped + 1] == f"    fix: docker start {reg.name}"
    assert f"✗ GET http://localhost:{reg.port}/v2/: nothing answers on localhost:{reg.port}" in out


def test_a_missing_cluster_and_registry_fail(cli, write_config, docker_ready):
    name = unique_name("kpt-none")
    path = write_config(f"cluster:\n  name: {name}\n  registry: {{enabled: true, name: {name}-reg, port: 5999}}\n")
    result = cli(["-c", str(path), "status"])
    assert result.exit_code == 1
    out = lines(result)
    assert f"✗ registry container {name}-reg running: no container named {name}-reg" in out
    assert f"✗ kind nodes: no node containers for cluster {name!r} ({name}-control-plane)" in out
    assert (
        out[out.index(f"✗ kind nodes: no node containers for cluster {name!r} ({name}-control-plane)") + 1]
        == f"    fix: kindplane -c {path} up"
    )


def test_without_a_config_status_checks_the_tools_and_docker_and_passes(cli, docker_ready, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fresh folder: no kindplane.yaml yet
    result = cli(["status"])
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        "✓ kind installed",
        "✓ Pulumi CLI installed",
        "✓ Docker daemon reachable",
        "✓ docker CLI on the same daemon",
        "- not checked without a kindplane.yaml: the Pulumi state, the registry, the mirrors, every node's "
        "containerd, the ConfigMap (kindplane.yaml not found; create it with `kindplane init`)",
        "all 4 checks passed",
    ]
