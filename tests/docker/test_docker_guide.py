"""The guide's commands, run in its order against what the program makes on stand-in nodes.

The example config's names are swapped for unique ones (cluster, registry, port, image) because
the Docker daemon is shared; nothing else in a command changes. Left out: `docker build` (the
user's Dockerfile), `kubectl` (no API server behind the stand-in) and `kindplane up` (the engine
tests run it).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.names import free_port, unique_name
from harness.program_commands import program_commands
from harness.registry import remove_registry, run_registry
from harness.shell import run_program_command, run_shell
from support.guide import commands

from kindplane.core.config import load_config
from kindplane.core.render.containerd import hosts_toml

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = ("docker build", "kubectl ", "kindplane up")


def guide_commands() -> list[str]:
    return [c for c in commands() if not c.startswith(SKIPPED)]


@pytest.fixture(scope="module")
def example(registry_image, node_image, kind_network, app_image, tmp_path_factory):
    example = load_config(ROOT / "kindplane.yaml").cluster
    name, registry, port, app = unique_name("kpt"), unique_name("kpt-reg"), free_port(), unique_name("kpt-app")
    swap = {example.name: name, example.registry.name: registry, str(example.registry.port): str(port), "my-app": app}
    config = tmp_path_factory.mktemp("guide") / "kindplane.yaml"
    config.write_text(
        (ROOT / "kindplane.yaml").read_text().replace(example.name, name).replace("port: 5001", f"port: {port}")
        + f"    name: {registry}\n"
    )
    commands = program_commands(config.read_text())
    try:
        run_registry(commands.registry_container)
        assert run_program_command(commands.kind, "create").returncode == 0
        assert run_program_command(commands.network_join).returncode == 0
        for cmd in commands.hosts_toml.values():
            assert run_program_command(cmd).returncode == 0
        docker("tag", app_image, f"{app}:latest")
        yield swap, config, StandinCluster(name), commands
    finally:
        run_program_command(commands.kind, "delete")
        remove_registry(registry)
        docker("rmi", f"{app}:latest", f"localhost:{port}/{app}:latest", check=False)


def localized(command: str, swap: dict[str, str], config: Path) -> str:
    for old, new in swap.items():
        command = command.replace(old, new)
    kindplane = (
        f"PYTHONPATH={shlex.quote(str(ROOT))} {shlex.quote(sys.executable)} -m kindplane -c {shlex.quote(str(config))}"
    )
    return f"{kindplane} {command[len('kindplane ') :]}" if command.startswith("kindplane ") else command


def test_every_runnable_command_of_the_guide_succeeds_in_order(example):
    swap, config, cluster, commands = example
    ran = {}
    for command in guide_commands():
        result = run_shell(localized(command, swap, config))
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        ran[command] = result.stdout
    registry, app = commands.config.cluster.registry, swap["my-app"]
    assert registry.name in ran["docker ps | grep kind-registry"]
    assert app in ran["curl http://localhost:5001/v2/_catalog"]
    assert ran["curl http://localhost:5001/v2/my-app/tags/list"].count("latest") == 1
    assert ran["docker ps --filter label=io.x-k8s.kind.cluster=kindplane-dev --format '{{.Names}}'"].split() == [
        f"{cluster.name}-control-plane"
    ]
    assert ran[
        "docker exec kindplane-dev-control-plane cat /etc/containerd/certs.d/localhost:5001/hosts.toml"
    ] == hosts_toml(registry)
    assert "reclaimed" in ran["kindplane registry gc"]
    assert len(ran) >= 10
