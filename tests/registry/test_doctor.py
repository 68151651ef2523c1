"""`kindplane doctor` on a real setup: the harness's registry:2 container and stand-in kind
nodes, wired by the program's own commands. Each test breaks one piece, checks the ✗ line and
its fix, runs that exact fix with `sh -c`, and checks that doctor is green again."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from harness.docker_env import docker
from harness.names import free_port, unique_name
from harness.program_commands import ProgramCommands, config_text, program_commands
from harness.registry import docker_run_argv, remove_container, remove_registry, run_registry, wait_for_registry
from harness.shell import run_program_command
from typer.testing import CliRunner

from kindplane.cli.app import app
from kindplane.core.naming import KIND_NETWORK
from kindplane.core.render.containerd import hosts_dirs, hosts_toml

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("fake_tools")]


@dataclass
class Setup:
    commands: ProgramCommands
    config_file: Path
    port: int

    @property
    def registry(self) -> str:
        return self.commands.config.cluster.registry.name

    @property
    def nodes(self) -> list[str]:
        return sorted(self.commands.hosts_toml)

    @property
    def kindplane(self) -> str:
        return f"kindplane -c {self.config_file}"

    def doctor(self, *args: str):
        result = CliRunner().invoke(app, ["-c", str(self.config_file), "doctor", *args, "--json"])
        data = json.loads(result.stdout)
        return result.exit_code, {c["name"]: c for c in data["checks"]}

    def failing(self, *args: str) -> dict:
        code, checks = self.doctor(*args)
        assert code == 1
        return {name: c for name, c in checks.items() if c["status"] == "fail"}

    def assert_healthy(self) -> None:
        code, checks = self.doctor()
        assert [c for c in checks.values() if c["status"] == "fail"] == []
        assert code == 0


def run_fix(fix: str) -> None:
    done = subprocess.run(["sh", "-c", fix], capture_output=True, text=True)
    assert done.returncode == 0, f"{fix}: {done.stderr}"


@pytest.fixture(scope="module")
def setup(registry_image, node_image, kind_network, tmp_path_factory):
    """What `kindplane up` builds, run by the harness: 1 control plane + 1 worker."""
    cluster, registry, port = unique_name("kpt"), unique_name("kpt-reg"), free_port()
    text = config_text(cluster, 1, 1, registry, port)
    config_file = tmp_path_factory.mktemp("doctor") / "kindplane.yaml"
    config_file.write_text(text)
    commands = program_commands(text)
    try:
        run_registry(commands.registry_container)
        created = run_program_command(commands.kind, "create")
        assert created.returncode == 0, created.stderr
        assert run_program_command(commands.network_join).returncode == 0
        for cmd in commands.hosts_toml.values():
            assert run_program_command(cmd).returncode == 0
        yield Setup(commands, config_file, port)
    finally:
        run_program_command(commands.kind, "delete")
        remove_registry(registry)


def test_healthy_setup_passes_every_check(setup):
    code, checks = setup.doctor()
    assert code == 0
    expected = [
        "kind installed",
        "Pulumi CLI installed",
        "Pulumi state",
        "node image built for this kind",
        "Docker daemon reachable",
        "docker CLI on the same daemon",
        f"registry container {setup.registry} running",
        f"GET http://localhost:{setup.port}/v2/",
        f"registry on the '{KIND_NETWORK}' network",
        f"registry published on 127.0.0.1:{setup.port} only",
    ]
    for node in setup.nodes:
        expected += [f"node {node}", f"{node}: hosts.toml", f"{node}: containerd config_path"]
    expected.append("ConfigMap kube-public/local-registry-hosting")
    assert list(checks) == expected
    # No API server here: the ConfigMap line is skipped, not failed; everything else passes.
    # No node image pinned: kind runs its own default, nothing to compare (skipped).
    assert [c["status"] for c in checks.values()] == ["ok"] * 3 + ["skip"] + ["ok"] * (len(expected) - 5) + ["skip"]
    assert checks[f"{setup.nodes[0]}: containerd config_path"]["detail"] == ("config_path = '/etc/containerd/certs.d'")
    assert checks["kind installed"]["detail"].startswith("v0.33.0 at ")
    assert checks["Pulumi CLI installed"]["detail"].startswith("v3.272.0 at ")
    assert checks[f"GET http://localhost:{setup.port}/v2/"]["detail"].startswith("HTTP 200, ")

    human = CliRunner().invoke(app, ["-c", str(setup.config_file), "doctor"])
    assert human.exit_code == 0
    lines = human.stdout.splitlines()
    assert [line[:2] for line in lines[:-1]] == ["✓ "] * 3 + ["- "] + ["✓ "] * (len(expected) - 5) + ["- "]
    assert [line[2:].startswith(name) for line, name in zip(lines, expected)] == [True] * len(expected)
    assert lines[-1] == f"all {len(expected) - 2} checks passed"  # the two skipped lines do not count


def test_stopped_registry_fails_with_docker_start(setup):
    docker("stop", setup.registry)
    try:
        failed = setup.failing()
        assert set(failed) == {f"registry container {setup.registry} running", f"GET http://localhost:{setup.port}/v2/"}
        assert failed[f"registry container {setup.registry} running"]["detail"] == "container is exited"
        assert {c["fix"] for c in failed.values()} == {f"docker start {setup.registry}"}
        run_fix(f"docker start {setup.registry}")
    finally:
        docker("start", setup.registry, check=False)
        wait_for_registry(setup.port)
    setup.assert_healthy()


def test_missing_hosts_toml_on_one_node_fails_with_the_write_command(setup):
    node = setup.nodes[-1]
    spec = setup.commands.config.cluster.registry
    path = f"{hosts_dirs(spec)[0]}/hosts.toml"
    docker("exec", node, "rm", path)
    failed = setup.failing()
    check = failed[f"{node}: hosts.toml"]
    assert list(failed) == [f"{node}: hosts.toml"]  # the other node is fine
    assert check["detail"] == f"{path} missing"
    run_fix(check["fix"])
    assert docker("exec", node, "cat", path).stdout == hosts_toml(spec)
    setup.assert_healthy()


def test_wrong_hosts_toml_content_is_reported(setup):
    node = setup.nodes[0]
    spec = setup.commands.config.cluster.registry
    path = f"{hosts_dirs(spec)[1]}/hosts.toml"
    docker("exec", node, "sh", "-c", f"echo '[host.\"http://elsewhere:5000\"]' > '{path}'")
    check = setup.failing()[f"{node}: hosts.toml"]
    assert check["detail"].startswith(f"{path} differs")
    run_fix(check["fix"])
    setup.assert_healthy()


def test_registry_off_the_kind_network_fails_with_network_connect(setup):
    docker("network", "disconnect", KIND_NETWORK, setup.registry)
    try:
        failed = setup.failing()
        check = failed[f"registry on the '{KIND_NETWORK}' network"]
        assert list(failed) == [f"registry on the '{KIND_NETWORK}' network"]
        assert check["fix"] == f"docker network connect kind {setup.registry}"
        run_fix(check["fix"])
    finally:
        docker("network", "connect", KIND_NETWORK, setup.registry, check=False)
    setup.assert_healthy()


def test_containerd_without_config_path_fails_with_recreate(setup):
    node = setup.nodes[0]
    original = docker("exec", node, "cat", "/etc/containerd/config.toml").stdout
    docker(
        "exec",
        "-i",
        node,
        "sh",
        "-c",
        "cat > /etc/containerd/config.toml",
        input='version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "x"\n',
    )
    try:
        check = setup.failing()[f"{node}: containerd config_path"]
        assert check["detail"].startswith("config_path not set in /etc/containerd/config.toml")
        assert check["fix"] == f"{setup.kindplane} down && {setup.kindplane} up"
    finally:
        docker("exec", "-i", node, "sh", "-c", "cat > /etc/containerd/config.toml", input=original)
    setup.assert_healthy()


def test_registry_published_on_all_interfaces_fails(setup):
    inputs = json.loads(json.dumps(setup.commands.registry_container))
    for port in inputs["ports"]:
        port["ip"] = "0.0.0.0"
    remove_container(setup.registry)
    try:
        docker(*docker_run_argv(inputs)[1:])
        docker("network", "connect", KIND_NETWORK, setup.registry)
        wait_for_registry(setup.port)
        failed = setup.failing()
        check = failed[f"registry published on 127.0.0.1:{setup.port} only"]
        assert list(failed) == [f"registry published on 127.0.0.1:{setup.port} only"]
        assert check["detail"].startswith(f"publishes 0.0.0.0:{setup.port}")
        assert "reachable from other machines" in check["detail"]
        assert check["fix"] == f"docker rm -f {setup.registry} && {setup.kindplane} up"
    finally:
        remove_container(setup.registry)
        run_registry(setup.commands.registry_container)
        assert run_program_command(setup.commands.network_join).returncode == 0
    setup.assert_healthy()


def test_image_reference_checks_say_the_exact_reference(setup, app_image):
    repo = app_image.split(":")[0]
    pushed = CliRunner().invoke(app, ["-c", str(setup.config_file), "registry", "push", app_image])
    exact = f"localhost:{setup.port}/{repo}:latest"
    docker("rmi", exact, check=False)
    assert pushed.exit_code == 0, pushed.output

    code, checks = setup.doctor(exact)
    assert code == 0
    assert checks[f"reference {exact}"]["status"] == "ok"
    assert checks[f"{repo}:latest in the registry"]["status"] == "ok"

    failed = setup.failing(f"{repo}:latest")
    assert failed[f"reference {repo}:latest"]["detail"] == (
        f"nodes would pull this from Docker Hub (docker.io); use exactly {exact}"
    )

    wrong_port = f"localhost:{setup.port + 1}/{repo}:latest"
    assert setup.failing(wrong_port)[f"reference {wrong_port}"]["detail"].endswith(
        f"which is not the registry (it serves localhost:{setup.port}); use exactly {exact}"
    )

    missing = setup.failing(f"localhost:{setup.port}/{repo}:v9")
    check = missing[f"{repo}:v9 in the registry"]
    assert check["detail"] == f"repository {repo} has no tag 'v9' (tags: latest)"
    assert check["fix"] == f"{setup.kindplane} registry push {repo}:v9"


def test_bad_image_reference_is_a_usage_error(setup):
    result = CliRunner().invoke(app, ["-c", str(setup.config_file), "doctor", "My-App:1"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: 'My-App:1': 'My-App' is not a valid repository name component (repository names are lower-case)"
    )


def test_gc_in_the_container_reclaims_a_deleted_image_and_repush_works(setup, images):
    ref = images.make(f"localhost:{setup.port}/big:v1", size=400_000)
    images.push(ref)
    kp = ["-c", str(setup.config_file), "registry"]
    layer = httpx.get(
        f"http://localhost:{setup.port}/v2/big/manifests/v1",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    ).json()["layers"][0]
    assert CliRunner().invoke(app, kp + ["rm", "big:v1"]).exit_code == 0

    result = CliRunner().invoke(app, kp + ["gc", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert result.stderr == ""  # the registry answered again after the restart
    assert report["reclaimed"] >= layer["size"] >= 400_000
    assert report["before"] - report["after"] == report["reclaimed"]
    assert report["restarted"] is True
    blob = f"http://localhost:{setup.port}/v2/big/blobs/{layer['digest']}"
    assert httpx.head(blob).status_code == 404
    # After the restart the registry no longer believes in the collected blob: a re-push
    # uploads it again and it can be fetched.
    images.push(ref)
    assert httpx.head(blob).status_code == 200


def test_gc_without_the_registry_container_says_how_to_create_it(docker_ready, tmp_path):
    config = tmp_path / "kindplane.yaml"
    name = unique_name("kpt-absent")
    config.write_text(config_text(unique_name("kpt"), registry=name, port=free_port()))
    result = CliRunner().invoke(app, ["-c", str(config), "registry", "gc"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: no container named '{name}'; create the registry with `kindplane up`")


def test_doctor_with_the_registry_disabled_checks_tools_docker_and_nodes(docker_ready, tmp_path):
    config = tmp_path / "kindplane.yaml"
    name = unique_name("kpt")
    config.write_text(config_text(name))
    result = CliRunner().invoke(app, ["-c", str(config), "doctor"])
    assert result.exit_code == 1  # no cluster yet
    lines = result.stdout.splitlines()
    # kind, Pulumi CLI, state, (no node image pinned: skipped), Docker, same daemon
    assert [line[:2] for line in lines[:6]] == ["✓ "] * 3 + ["- "] + ["✓ "] * 2
    assert lines[6:] == [
        "- local registry: disabled in kindplane.yaml (cluster.registry.enabled: false)",
        f"✗ kind nodes: no node containers for cluster {name!r} ({name}-control-plane)",
        f"    fix: kindplane -c {config} up",
        "1 of 6 checks failed",
    ]
