"""The third door: kindplane as a library, in a Pulumi project of the user's own (its own name,
its own resources beside ours, no kindplane-internal import), under the real engine: `pulumi up`,
push, `pulumi destroy` with `persistent: true` (the registry and its images kept), `pulumi up`
again (taken back, the images served on every node), and a foreign container of the registry's
name refused with the fix."""

from __future__ import annotations

import textwrap

import yaml
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.engine import EngineProject, container_id, volume_exists
from harness.fixtures import push_to
from harness.names import free_port, unique_name
from harness.registry import registry_get

USER_PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_command

    from kindplane import Environment, load_config

    env = Environment("dev", load_config("kindplane.yaml"))
    # The user's own resource, beside ours in the same stack.
    note = pulumi_command.local.Command("their-note", create="echo hello from their program")
    pulumi.export("registry", env.registry.host_address)
    pulumi.export("note", note.stdout)
    """
)


def user_project(tmp_path, cluster: str, registry: str, port: int) -> EngineProject:
    root, state = tmp_path / "userproj", tmp_path / "state"
    root.mkdir()
    state.mkdir()
    settings = {
        "name": "userproj",
        "runtime": {"name": "python", "options": {"toolchain": "pip"}},
        "backend": {"url": state.as_uri()},
    }
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    (root / "__main__.py").write_text(USER_PROGRAM)
    project = EngineProject(root, "dev", root / "kindplane.yaml", tmp_path / "kindplane-home")
    project.write_config(
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n"
        f"  registry: {{enabled: true, name: {registry}, port: {port}, persistent: true}}\n"
    )
    return project


def test_a_users_own_program_gets_persistence_take_back_and_the_keepers_refusals(engine_ready, tmp_path, app_image):
    cluster, registry, port = unique_name("kpe"), unique_name("kpe-reg"), free_port()
    project = user_project(tmp_path, cluster, registry, port)
    try:
        project.init_stack()
        up = project.up()
        assert project.outputs()["note"] == "hello from their program"
        assert project.outputs()["registry"] == f"localhost:{port}"
        assert "Traceback" not in up.stdout + up.stderr
        ref = push_to(f"localhost:{port}", app_image, "lib/app:v1")

        project.destroy()
        assert container_id(registry) is not None and volume_exists(f"{registry}-data")  # persistent: kept
        assert StandinCluster(cluster).nodes() == []

        kept = container_id(registry)
        project.up()  # taken back: a managed container on the kept volume, not a 409 on the name
        assert container_id(registry) not in (None, kept)
        assert registry_get(port, "/v2/lib/app/tags/list")[1]["tags"] == ["v1"]
        nodes = StandinCluster(cluster).containerd_nodes()
        assert len(nodes) == 2
        for node in nodes:
            fetched = StandinCluster(cluster).ctr_fetch(node, ref)
            assert fetched.returncode == 0, f"{node}: {fetched.stderr}"
        project.pulumi("preview", "--expect-no-changes")

        # The keeper's refusal reaches the user's program too: a container of the name kindplane
        # did not make stops the run before anything is changed.
        project.destroy()
        docker("rm", "-f", registry)
        docker("run", "-d", "--name", registry, "--entrypoint", "/bin/sh", "registry:2", "-c", "sleep 600")
        refused = project.up(check=False)
        assert refused.returncode != 0
        assert f"a container named '{registry}' exists but was not created by kindplane" in refused.stdout
        assert "Traceback" not in refused.stdout + refused.stderr
    finally:
        project.remove_everything()
