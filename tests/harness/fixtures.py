"""Pytest fixtures over the harness. Use them from any conftest.py with
`from harness.fixtures import *  # noqa: F401,F403`.

Everything a fixture creates has a unique name and is removed at teardown, even when the test
failed; the shared `kind` network is created when missing and never removed.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

from . import cluster as cluster_mod
from . import registry as registry_mod
from .docker_env import docker, require_docker
from .images import ensure_app_image, ensure_node_image, ensure_registry_image, ensure_registry_v3_image
from .names import free_port, unique_name
from .program_commands import ProgramCommands, config_text, program_commands
from .shell import run_program_command
from .standin_kind import NODE_IMAGE_ENV


@pytest.fixture(scope="session")
def docker_ready() -> None:
    """Skips (locally) or fails (CI=true) when no Docker engine answers."""
    require_docker()


@pytest.fixture(scope="session")
def registry_image(docker_ready) -> str:
    return ensure_registry_image()


@pytest.fixture(scope="session")
def registry_v3_image(docker_ready) -> str:
    """`registry:3`: distribution v3.0.0 built from Go modules (cached per machine; see images.py)."""
    return ensure_registry_v3_image()


@pytest.fixture(scope="session")
def node_image(docker_ready) -> Iterator[str]:
    """The default stand-in node image (containerd 2, kind's base config); also exported so the
    `kind` stand-in never rebuilds it. harness.fixtures.nodes_of_kind switches it for a block."""
    image = ensure_node_image()
    previous = os.environ.get(NODE_IMAGE_ENV)
    os.environ[NODE_IMAGE_ENV] = image
    yield image
    if previous is None:
        os.environ.pop(NODE_IMAGE_ENV, None)
    else:
        os.environ[NODE_IMAGE_ENV] = previous


@contextmanager
def nodes_of_kind(kind: str) -> Iterator[str]:
    """Clusters the `kind` stand-in creates inside this block run node image `kind`
    (images.NODE_KINDS: "containerd2", the default, or "containerd1"); yields the image."""
    image = ensure_node_image(kind)
    previous = os.environ.get(NODE_IMAGE_ENV)
    os.environ[NODE_IMAGE_ENV] = image
    try:
        yield image
    finally:
        if previous is None:
            os.environ.pop(NODE_IMAGE_ENV, None)
        else:
            os.environ[NODE_IMAGE_ENV] = previous


@pytest.fixture(scope="session")
def kind_network(docker_ready) -> str:
    cluster_mod.ensure_kind_network()
    return "kind"


@pytest.fixture(scope="session")
def app_image(docker_ready) -> Iterator[str]:
    """A tiny local image (unique tag) to push into registries."""
    tag = ensure_app_image(f"{unique_name('kpt-app')}:latest")
    yield tag
    docker("rmi", tag, check=False)


@dataclass
class StartedRegistry:
    """A registry container started from the program's own Container inputs."""

    name: str
    port: int
    persistent: bool
    commands: ProgramCommands
    container_id: str

    @property
    def host(self) -> str:
        return f"localhost:{self.port}"

    def push(self, local_image: str, repo: str = "my-app:latest") -> str:
        """Tags `local_image` as localhost:<port>/<repo> and pushes it; returns the reference."""
        return push_to(self.host, local_image, repo)


def push_to(host: str, local_image: str, repo: str) -> str:
    """`docker push <host>/<repo>` of a local image (the tag is removed again); returns the ref."""
    ref = f"{host}/{repo}"
    docker("tag", local_image, ref)
    try:
        docker("push", ref)
    finally:
        docker("rmi", ref, check=False)
    return ref


class RegistryFactory:
    def __init__(self) -> None:
        self.containers: list[str] = []
        self.volumes: list[str] = []

    def __call__(
        self,
        name: Optional[str] = None,
        port: Optional[int] = None,
        persistent: bool = False,
        cluster: Optional[str] = None,
        control_planes: int = 1,
        workers: int = 0,
        image: Optional[str] = None,
    ) -> StartedRegistry:
        """Starts the registry of a program whose config has these values; `cluster` and the
        node counts only shape the returned commands (hosts.toml writes per node). `image`
        (e.g. "registry:3", see images.ensure_registry_v3_image) goes into the config too."""
        name = name or unique_name("kpt-reg")
        port = port or free_port()
        commands = program_commands(
            config_text(cluster or unique_name("kpt"), control_planes, workers, name, port, persistent, image)
        )
        self.containers.append(name)
        if commands.registry_volume is not None:
            self.volumes.append(registry_mod.create_volume(commands.registry_volume))
        container_id = registry_mod.run_registry(commands.registry_container, image or registry_mod.REGISTRY_TAG)
        return StartedRegistry(name, port, persistent, commands, container_id)

    def cleanup(self) -> None:
        for name in self.containers:
            registry_mod.remove_container(name)
        for volume in self.volumes:
            registry_mod.remove_volume(volume)


@pytest.fixture
def registry_factory(registry_image) -> Iterator[RegistryFactory]:
    """`registry_factory(name=None, port=None, persistent=False)` → StartedRegistry; removed after."""
    factory = RegistryFactory()
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture(scope="module")
def module_registry(registry_image) -> Iterator[StartedRegistry]:
    """One non-persistent registry (unique name, free port) shared by a test module."""
    factory = RegistryFactory()
    try:
        yield factory()
    finally:
        factory.cleanup()


class ClusterFactory:
    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, kind_config_yaml: str, name: Optional[str] = None) -> cluster_mod.StandinCluster:
        name = name or unique_name("kpt")
        self.names.append(name)
        return cluster_mod.create_cluster(name, kind_config_yaml)

    def from_commands(self, commands: ProgramCommands) -> cluster_mod.StandinCluster:
        """Runs the program's own `kind create cluster` command (stdin: its kind config)."""
        self.names.append(commands.config.cluster.name)
        result = run_program_command(commands.kind, "create")
        if result.returncode != 0:
            raise cluster_mod.StandinError(f"{commands.kind.create!r} failed: {result.stderr}")
        return cluster_mod.StandinCluster(commands.config.cluster.name)

    def cleanup(self) -> None:
        for name in self.names:
            cluster_mod.StandinCluster(name).delete()


@pytest.fixture
def cluster_factory(node_image, kind_network) -> Iterator[ClusterFactory]:
    """`cluster_factory(kind_config_yaml, name=None)` → StandinCluster; deleted after the test."""
    factory = ClusterFactory()
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture(scope="module")
def module_cluster_factory(node_image, kind_network) -> Iterator[ClusterFactory]:
    """Like cluster_factory, but clusters live until the end of the module."""
    factory = ClusterFactory()
    try:
        yield factory
    finally:
        factory.cleanup()


__all__ = [
    "docker_ready",
    "registry_image",
    "registry_v3_image",
    "node_image",
    "nodes_of_kind",
    "kind_network",
    "app_image",
    "registry_factory",
    "fake_tools",
    "module_registry",
    "cluster_factory",
    "module_cluster_factory",
    "StartedRegistry",
    "RegistryFactory",
    "ClusterFactory",
]


@pytest.fixture
def fake_tools(tmp_path, monkeypatch) -> Path:
    """kind and the Pulumi CLI where `kindplane setup` puts them, answering `version` only:
    doctor's tool checks pass without the real tools (their own tests fake other versions)."""
    home = tmp_path / "fake-tools-home"
    for path, text in (
        (home / "bin" / "kind", "echo 'kind v0.33.0 go1.26.8 linux/amd64'"),
        (home / "pulumi" / "bin" / "pulumi", "echo v3.272.0"),
    ):
        path.parent.mkdir(parents=True)
        path.write_text(f"#!/bin/sh\n{text}\n")
        path.chmod(0o755)
    monkeypatch.setenv("KINDPLANE_HOME", str(home))
    return home
