"""Fixtures for the registry and doctor tests: a real registry, real images, real Docker.

The fastest real registry is Debian's docker-registry binary (the same code as registry:2)
serving a temp directory on a free loopback port; dockerd runs on this host, so
`docker push localhost:<port>/…` reaches it (Docker trusts loopback registries over HTTP).
The doctor tests use the harness's registry container and stand-in kind nodes instead.
"""

from __future__ import annotations

import os

import pytest
from harness.docker_env import in_ci
from harness.fixtures import *  # noqa: F401,F403  (docker_ready, registry_image, node_image, …)
from harness.names import free_port
from registry_fixtures import REGISTRY_BIN, Images, LocalRegistry


@pytest.fixture
def registry_binary(docker_ready):
    """Docker (harness rule: skip locally, fail with CI=true) plus Debian's registry binary."""
    if not os.path.exists(REGISTRY_BIN):
        message = f"{REGISTRY_BIN} missing (apt-get install docker-registry)"
        if in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)


@pytest.fixture
def local_registry(registry_binary, tmp_path):
    registry = LocalRegistry(tmp_path, free_port())
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture
def images(docker_ready):
    made = Images()
    try:
        yield made
    finally:
        made.cleanup()
