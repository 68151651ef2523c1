"""The registry container exactly as the program specifies it, run on a real engine."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from harness.docker_env import docker
from harness.registry import destroy_registry, docker_run_argv, inspect, port_bindings, registry_get

from kindplane.core.naming import LABEL_MANAGED_BY, LABEL_REGISTRY, LABEL_ROLE

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def test_the_translation_keeps_every_container_input(module_registry):
    """docker_run_argv is the one place inputs become flags: check it drops nothing."""
    inputs = module_registry.commands.registry_container
    argv = docker_run_argv(inputs)
    assert argv[argv.index("--publish") + 1] == f"127.0.0.1:{module_registry.port}:5000/tcp"
    assert argv[argv.index("--restart") + 1] == "always"
    assert argv[argv.index("--network") + 1] == inputs["networkMode"] == "bridge"
    assert "REGISTRY_STORAGE_DELETE_ENABLED=true" in argv
    assert argv[-1] == "registry:2"


def test_published_on_loopback_only(module_registry):
    assert port_bindings(module_registry.name) == {
        "5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(module_registry.port)}]
    }


def test_restart_always_labels_and_env(module_registry):
    attrs = inspect(module_registry.name)
    assert attrs["HostConfig"]["RestartPolicy"]["Name"] == "always"
    labels = attrs["Config"]["Labels"]
    assert labels[LABEL_MANAGED_BY] == "kindplane"
    assert labels[LABEL_ROLE] == "registry"
    assert labels[LABEL_REGISTRY] == module_registry.name
    assert "REGISTRY_STORAGE_DELETE_ENABLED=true" in attrs["Config"]["Env"]
    assert attrs["State"]["Running"] is True


def test_catalog_answers_on_the_host_port(module_registry):
    status, body = registry_get(module_registry.port, "/v2/_catalog")
    assert status == 200
    assert isinstance(body["repositories"], list)


def test_push_from_the_host_shows_in_tags_list(module_registry, app_image):
    module_registry.push(app_image, "my-app:latest")
    assert registry_get(module_registry.port, "/v2/my-app/tags/list")[1] == {"name": "my-app", "tags": ["latest"]}
    assert "my-app" in registry_get(module_registry.port, "/v2/_catalog")[1]["repositories"]


def test_registry_honours_delete_enabled_from_the_env(module_registry, app_image):
    """The program sets REGISTRY_STORAGE_DELETE_ENABLED=true; the image must honour it."""
    module_registry.push(app_image, "to-delete:v1")
    base = f"http://localhost:{module_registry.port}/v2/to-delete/manifests"
    head = urllib.request.Request(f"{base}/v1", method="HEAD", headers={"Accept": MANIFEST_V2})
    with urllib.request.urlopen(head, timeout=5) as response:
        digest = response.headers["Docker-Content-Digest"]
    with urllib.request.urlopen(urllib.request.Request(f"{base}/{digest}", method="DELETE"), timeout=5) as response:
        assert response.status == 202
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(urllib.request.Request(f"{base}/v1", headers={"Accept": MANIFEST_V2}), timeout=5)
    assert gone.value.code == 404


def test_non_persistent_down_removes_the_container(registry_factory):
    started = registry_factory(persistent=False)
    assert started.commands.registry_container_retained is False
    destroy_registry(started.commands)
    assert inspect(started.name) is None


def test_persistent_down_keeps_container_and_volume(registry_factory):
    started = registry_factory(persistent=True)
    destroy_registry(started.commands)
    assert inspect(started.name)["State"]["Running"] is True
    assert docker("volume", "inspect", f"{started.name}-data", check=False).returncode == 0
