"""cluster.registry.listenAddress and image under the real engine: the container is bound and
built as configured, and a persistent one is taken back across down/up with its images."""
from __future__ import annotations

from harness.docker_env import docker
from harness.engine import container_id
from harness.fixtures import push_to
from harness.names import unique_name
from harness.registry import inspect, port_bindings, registry_get


def test_a_mirrored_image_on_all_addresses_is_used_and_taken_back_after_down(new_project, app_image):
    mirror = f"mirror.example/{unique_name('kpt-lib')}/registry:2"  # a mirror's name for registry:2
    docker("tag", "registry:2", mirror)
    try:
        project = new_project(persistent=True, workers=0)
        project.write_config(
            f"cluster:\n  name: {project.cluster}\n  nodes: {{controlPlane: 1, workers: 0}}\n"
            f"  registry: {{enabled: true, name: {project.registry}, port: {project.port}, persistent: true, "
            f"listenAddress: 0.0.0.0, image: '{mirror}'}}\n"
        )
        project.kindplane("-c", str(project.config_path), "up")
        assert port_bindings(project.registry) == {"5000/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(project.port)}]}
        attrs = inspect(project.registry)
        assert attrs["Image"] == inspect(mirror)["Id"]
        first = container_id(project.registry)
        push_to(f"localhost:{project.port}", app_image, "kept/app:v1")

        project.kindplane("-c", str(project.config_path), "down", "--force")
        assert container_id(project.registry) == first
        project.kindplane("-c", str(project.config_path), "up")
        assert inspect(project.registry)["Image"] == inspect(mirror)["Id"]  # same image, same binding
        assert port_bindings(project.registry) == {"5000/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(project.port)}]}
        assert registry_get(project.port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]
        project.pulumi("preview", "--expect-no-changes")
    finally:
        docker("rmi", mirror, check=False)
