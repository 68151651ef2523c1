"""One Docker daemon per run, chosen as the docker CLI chooses it (kindplane.ops.docker_endpoint).

A second dockerd on its own socket and data root, selected only by `docker context use` in a
private DOCKER_CONFIG (DOCKER_HOST unset): every step of both doors acts on that daemon, and the
harness's default daemon never sees the cluster, the registry or an image of it. And the explicit
pulumi-docker provider this needs replaces nothing in a stack made with the default provider.
"""

from __future__ import annotations

import json
import shutil

import pytest
from harness.engine import REPO, container_id, on_default_daemon
from harness.images import ensure_app_image, ensure_node_image, ensure_registry_image
from harness.second_daemon import SECOND_DAEMON_GROUP, second_dockerd

CLUSTER_LABEL = "io.x-k8s.kind.cluster"


@pytest.fixture
def context_daemon(engine_ready):
    with second_dockerd() as daemon:
        with daemon.selected():  # the harness images, built inside that daemon
            ensure_registry_image()
            ensure_node_image()
        yield daemon


@pytest.mark.xdist_group(SECOND_DAEMON_GROUP)
def test_docker_context_use_alone_sends_both_doors_and_every_command_to_that_daemon(new_project, context_daemon):
    daemon = context_daemon
    project = new_project(workers=1)
    env = {"DOCKER_CONFIG": str(daemon.docker_config), "DOCKER_HOST": "", "DOCKER_CONTEXT": ""}
    config = str(project.config_path)
    with daemon.selected():
        app = ensure_app_image(f"kpt-ctx-app-{project.port}:v1")

    up = project.kindplane("-c", config, "up", **env)
    first = up.stdout.splitlines()[0]
    assert first.endswith(
        f" · Docker {daemon.host} (docker context {daemon.context} (current in {daemon.docker_config}/config.json))"
    ), first
    nodes = daemon.cli(
        "ps", "--filter", f"label={CLUSTER_LABEL}={project.cluster}", "--format", "{{.Names}}"
    ).stdout.split()
    assert sorted(nodes) == [f"{project.cluster}-control-plane", f"{project.cluster}-worker"]
    registry = json.loads(daemon.cli("inspect", project.registry).stdout)[0]
    assert registry["State"]["Running"] and "kind" in registry["NetworkSettings"]["Networks"]
    assert on_default_daemon(project.cluster, project.registry) == []

    pushed = project.kindplane("-c", config, "registry", "push", app, **env)
    assert f"✓ pushed localhost:{project.port}/kpt-ctx-app-{project.port}:v1" in pushed.stdout
    listed = project.kindplane("-c", config, "registry", "ls", "--json", **env)
    repositories = json.loads(listed.stdout)["repositories"]
    listing = [(r["name"], [t["tag"] for t in r["tags"]]) for r in repositories]
    assert listing == [(f"kpt-ctx-app-{project.port}", ["v1"])]

    doctor = project.kindplane("-c", config, "doctor", "--json", **env, check=False)
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["Docker daemon reachable"]["detail"].endswith(
        f" at {daemon.host} (docker context {daemon.context} (current in {daemon.docker_config}/config.json))"
    )
    assert checks["docker CLI on the same daemon"]["status"] == "ok"
    assert checks[f"registry container {project.registry} running"]["status"] == "ok"
    assert checks[f"{project.cluster}-worker: hosts.toml"]["status"] == "ok"
    assert [name for name, c in checks.items() if c["status"] == "fail"] == []

    # The other door, in the same shell: the program's own provider follows the context too.
    project.pulumi("preview", "--expect-no-changes", **env)

    project.kindplane("-c", config, "down", "--force", **env)
    left = daemon.cli("ps", "-a", "--filter", f"label={CLUSTER_LABEL}={project.cluster}", "-q").stdout.split()
    assert left == [] and daemon.cli("inspect", project.registry, check=False).returncode == 1
    assert on_default_daemon(project.cluster, project.registry) == []


def test_moving_a_stack_to_the_explicit_provider_or_another_host_string_replaces_nothing(new_project):
    project = new_project(persistent=True, workers=0)
    project.init_stack()
    # A stack as a kindplane without the explicit provider made it: the default docker provider.
    (project.root / "__main__.py").write_text(
        "from kindplane.program import main\n\nmain(docker_provider=lambda: None)\n"
    )
    project.up()
    before = container_id(project.registry)
    providers = [r["urn"] for r in project.resources() if r["type"] == "pulumi:providers:docker"]
    assert [urn.rsplit("::", 1)[-1] for urn in providers] == ["default_5_2_0"]

    shutil.copy(REPO / "__main__.py", project.root / "__main__.py")
    plan = json.loads(project.pulumi("preview", "--json").stdout)
    replaced = [s["urn"] for s in plan["steps"] if s["op"] in ("replace", "create-replacement", "delete-replaced")]
    assert replaced == []
    project.up()
    assert container_id(project.registry) == before
    providers = {r["urn"].rsplit("::", 1)[-1]: r for r in project.resources() if r["type"] == "pulumi:providers:docker"}
    assert list(providers) == ["docker"] and providers["docker"]["inputs"]["host"] == "unix:///var/run/docker.sock"

    # The same daemon under another name (/var/run is /run here): a provider config change only.
    project.up(DOCKER_HOST="unix:///run/docker.sock")
    assert container_id(project.registry) == before
    project.pulumi("preview", "--expect-no-changes", DOCKER_HOST="unix:///run/docker.sock")
