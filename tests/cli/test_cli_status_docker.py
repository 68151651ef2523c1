"""`kindplane status` against a real Docker engine: stand-in kind nodes and a real registry:2."""
from __future__ import annotations

import pytest

from harness.docker_env import docker
from harness.fixtures import push_to
from harness.names import unique_name
from harness.shell import run_program_command

pytestmark = pytest.mark.docker


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


def test_everything_in_place_passes(cli, environment):
    config, path = environment
    name, reg = config.cluster.name, config.cluster.registry
    result = cli(["-c", str(path), "status"])
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        f"ok   node {name}-control-plane: running",
        f"ok   node {name}-worker: running",
        f"ok   registry {reg.name}: container running",
        f"ok   registry {reg.name} on network kind: connected",
        f"ok   registry API http://localhost:{reg.port}/v2/: reachable, 0 image(s)",
        f"ok   hosts.toml on {name}-control-plane: present",
        f"ok   hosts.toml on {name}-worker: present",
        "All checks passed.",
    ]


def test_pushed_images_are_counted(cli, environment, app_image):
    config, path = environment
    port = config.cluster.registry.port
    push_to(f"localhost:{port}", app_image, "status-count:1")
    result = cli(["-c", str(path), "status"])
    assert f"registry API http://localhost:{port}/v2/: reachable, 1 image(s)" in result.stdout


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
    assert f"FAIL hosts.toml on {node}: missing {missing}  → run: kindplane up" in result.stdout
    assert "error: 1 check(s) failed; run: kindplane up" in result.stderr


def test_a_stopped_registry_fails_with_docker_start(cli, environment):
    config, path = environment
    reg = config.cluster.registry
    docker("stop", "-t", "1", reg.name)
    try:
        result = cli(["-c", str(path), "status"])
    finally:
        docker("start", reg.name)
    assert result.exit_code == 1
    assert f"FAIL registry {reg.name}: container exited  → run: docker start {reg.name}" in result.stdout
    assert f"FAIL registry API http://localhost:{reg.port}/v2/: not reachable" in result.stdout


def test_a_missing_cluster_and_registry_fail(cli, write_config, docker_ready):
    name = unique_name("kpt-none")
    path = write_config(f"cluster:\n  name: {name}\n  registry: {{enabled: true, name: {name}-reg, port: 5999}}\n")
    result = cli(["-c", str(path), "status"])
    assert result.exit_code == 1
    assert lines(result)[:2] == [
        f"FAIL cluster {name}: not found (no kind node containers)  → run: kindplane up",
        f"FAIL registry {name}-reg: container missing  → run: kindplane up",
    ]
