"""kind on Podman (`KIND_EXPERIMENTAL_PROVIDER=podman`): the registry goes to Podman too, through its
Docker-compatible API, so the nodes reach it; Docker and Podman mixed is refused before anything.

Podman is Debian's (rootful here), private to the test (tests/harness/podman.py); the kind
stand-in makes the nodes with `podman`, as kind's podman provider does.
"""

from __future__ import annotations

import json

import pytest
from harness.docker_env import in_ci
from harness.engine import on_default_daemon
from harness.images import ensure_app_image, ensure_node_image, ensure_registry_image
from harness.podman import podman_problem, podman_service

CLUSTER_LABEL = "io.x-k8s.kind.cluster"


@pytest.fixture
def podman(engine_ready):
    problem = podman_problem()
    if problem:
        if in_ci():
            pytest.fail(f"CI=true but Podman is unusable: {problem}", pytrace=False)
        pytest.skip(problem)
    with podman_service() as service:
        with service.selected():  # the harness images, built inside Podman
            ensure_registry_image()
            ensure_node_image()
        yield service


def test_kind_on_podman_gets_its_registry_in_podman_and_mixing_runtimes_is_refused(new_project, podman):
    project = new_project(workers=1)
    config = str(project.config_path)
    env = {
        "KIND_EXPERIMENTAL_PROVIDER": "podman",
        "CONTAINER_HOST": podman.host,
        "DOCKER_HOST": "",
        **podman.environment(),
    }
    with podman.selected():
        app = ensure_app_image(f"kpt-pod-app-{project.port}:v1")

    # Nodes by Podman, registry by the harness's Docker: refused, nothing made anywhere.
    mixed = project.kindplane("-c", config, "up", check=False, **{**env, "DOCKER_HOST": "unix:///var/run/docker.sock"})
    assert mixed.returncode == 1
    assert mixed.stderr.startswith(
        "error: kind makes the nodes with Podman (KIND_EXPERIMENTAL_PROVIDER=podman), but "
        "kindplane would make the registry in Docker "
    ), mixed.stderr
    assert podman.podman("ps", "-aq").stdout.split() == []
    assert on_default_daemon(project.cluster, project.registry) == []

    up = project.kindplane("-c", config, "up", **env)
    assert up.stdout.splitlines()[0].endswith(
        f" · Docker {podman.host} (Podman's API socket, for KIND_EXPERIMENTAL_PROVIDER=podman)"
    )
    nodes = podman.podman(
        "ps", "--filter", f"label={CLUSTER_LABEL}={project.cluster}", "--format", "{{.Names}}"
    ).stdout.split()
    assert sorted(nodes) == [f"{project.cluster}-control-plane", f"{project.cluster}-worker"]
    registry = json.loads(podman.podman("inspect", project.registry).stdout)[0]
    assert registry["State"]["Running"] and "kind" in registry["NetworkSettings"]["Networks"]
    assert on_default_daemon(project.cluster, project.registry) == []

    pushed = project.kindplane("-c", config, "registry", "push", app, **env)
    assert f"✓ pushed localhost:{project.port}/kpt-pod-app-{project.port}:v1" in pushed.stdout
    doctor = project.kindplane("-c", config, "doctor", "--json", **env, check=False)
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert [name for name, c in checks.items() if c["status"] == "fail"] == []
    assert checks[f"{project.cluster}-worker: hosts.toml"]["status"] == "ok"

    project.kindplane("-c", config, "down", "--force", **env)
    assert podman.podman("ps", "-a", "--filter", f"label={CLUSTER_LABEL}={project.cluster}", "-q").stdout.split() == []
    assert podman.podman("inspect", project.registry, check=False).returncode != 0
