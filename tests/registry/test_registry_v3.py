"""`cluster.registry.image: registry:3` end to end on stand-in nodes: distribution v3.0.0, built by
the harness from Go modules, run from the program's own container inputs (persistent).

One walk, as a user goes: container and wiring from the program's commands, `kindplane registry
push`, a fetch through every node's hosts.toml, `registry ls`, `rm`, `gc` (the v3 config path and
version read from the container), `doctor` all green naming the version, then `down` (the retained
container stays), adoption of the kept container, and a new container on the kept volume still
serving the image.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from harness.names import unique_name
from harness.registry import create_volume, destroy_registry, inspect, registry_get, remove_container, run_registry
from harness.shell import kindplane, run_program_command
from support.pulumi_mocks import MOCK_OWNER
from typer.testing import CliRunner

from kindplane.cli.app import app
from kindplane.ops.docker_lookup import docker_client
from kindplane.ops.keeper import look, wanted_registry
from kindplane.ops.kept_container import Action
from kindplane.ops.registry.push_gc import registry_container

pytestmark = pytest.mark.docker


def test_registry_3_push_pull_ls_rm_gc_doctor_and_persistent_reuse(
    registry_v3_image, registry_factory, cluster_factory, app_image, images, fake_tools, tmp_path
):
    cluster = unique_name("kpt")
    started = registry_factory(image="registry:3", persistent=True, cluster=cluster, workers=1)
    commands = started.commands
    assert commands.config.cluster.registry.image == "registry:3"
    config = tmp_path / "kindplane.yaml"
    config.write_text(
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n  registry:\n    enabled: true\n"
        f"    name: {started.name}\n    port: {started.port}\n    persistent: true\n    image: registry:3\n"
    )
    nodes = cluster_factory.from_commands(commands).containerd_nodes()
    assert run_program_command(commands.network_join).returncode == 0
    for write in commands.hosts_toml.values():
        assert run_program_command(write).returncode == 0

    # push, then every node pulls through its hosts.toml
    local = images.tag(app_image, f"{unique_name('kpt-app')}:v1")
    pushed = kindplane(config, "registry", "push", local, "--json")
    assert pushed.returncode == 0, pushed.stderr
    reference = json.loads(pushed.stdout)["reference"]
    images.track(reference)
    repository = local.split(":")[0]
    for node in nodes:
        fetched = subprocess.run(
            ["docker", "exec", node, "ctr", "content", "fetch", "--hosts-dir", "/etc/containerd/certs.d", reference],
            capture_output=True,
            text=True,
        )
        assert fetched.returncode == 0, (node, fetched.stderr)

    listed = json.loads(kindplane(config, "registry", "ls", "--json").stdout)
    assert [(r["name"], [t["tag"] for t in r["tags"]]) for r in listed["repositories"]] == [(repository, ["v1"])]

    # rm + gc: v3's config file, found from the container itself
    extra = images.make(f"{started.host}/scratch:v1", size=300_000)
    images.push(extra)
    container = registry_container(started.name)
    assert (str(container.version), container.config_path) == ("v3.0.0", "/etc/distribution/config.yml")
    assert kindplane(config, "registry", "rm", "scratch:v1").returncode == 0
    gc = kindplane(config, "registry", "gc", "--json")
    assert gc.returncode == 0, gc.stderr
    assert json.loads(gc.stdout)["reclaimed"] >= 300_000
    assert registry_get(started.port, f"/v2/{repository}/tags/list")[1]["tags"] == ["v1"]

    doctor = CliRunner().invoke(app, ["-c", str(config), "doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert doctor.exit_code == 0, [c for c in checks.values() if c["status"] == "fail"]
    assert checks[f"registry container {started.name} running"]["detail"].startswith(
        "registry:3 (distribution v3.0.0), up since"
    )

    # down keeps it; the next up keeps the same container (its images are in <name>-data)
    destroy_registry(commands)
    decision = look(docker_client(), wanted_registry(commands.config.cluster.registry, MOCK_OWNER))
    assert (decision.action, decision.container_id) == (Action.KEEP, inspect(started.name)["Id"])
    # the container removed by hand: a new one on the kept volume serves the image
    remove_container(started.name)
    create_volume(commands.registry_volume)
    run_registry(commands.registry_container, "registry:3")
    assert run_program_command(commands.network_join).returncode == 0  # as up joins a new container
    assert registry_get(started.port, f"/v2/{repository}/tags/list")[1]["tags"] == ["v1"]
    assert (
        subprocess.run(
            [
                "docker",
                "exec",
                nodes[0],
                "ctr",
                "content",
                "fetch",
                "--hosts-dir",
                "/etc/containerd/certs.d",
                reference,
            ],
            capture_output=True,
        ).returncode
        == 0
    )
