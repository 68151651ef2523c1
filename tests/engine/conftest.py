"""Real-engine tests: `pulumi` and `kindplane` run on a copy of this project, for real.

Every test here is marked `engine` (and `docker`). With CI=true a missing toolchain, Docker or
API server fails the test instead of skipping it: .ci/run builds or reuses the toolchain first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from harness.engine import EngineProject, engine_config, make_project, require_engine
from harness.fixtures import *  # noqa: F401,F403
from harness.images import ensure_node_image, ensure_registry_image
from harness.names import free_port, unique_name
from harness.second_daemon import SecondDaemon, second_dockerd


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/engine/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.engine)
            item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def engine_ready(docker_ready, node_image, registry_image, kind_network) -> None:
    require_engine()


class ProjectFactory:
    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.made: list[EngineProject] = []

    def __call__(
        self,
        persistent: bool = False,
        control_planes: int = 1,
        workers: int = 1,
        stack: str = "e2e",
        cluster: str | None = None,
        registry: str | None = None,
        port: int | None = None,
    ) -> EngineProject:
        cluster = cluster or unique_name("kpe")
        registry = registry or unique_name("kpe-reg")
        port = port or free_port()
        folder = self.tmp_path / f"p{len(self.made)}"
        folder.mkdir()
        text = engine_config(cluster, registry, port, persistent, control_planes, workers)
        project = make_project(folder, stack, text)
        project.cluster, project.registry, project.port = cluster, registry, port
        self.made.append(project)
        return project

    def cleanup(self) -> None:
        # By name, not through `pulumi destroy`: nothing is asserted here, and an engine run per
        # test was minutes of the suite. Tests that check a destroy run it themselves.
        for project in self.made:
            project.remove_everything()


@pytest.fixture
def new_project(engine_ready, tmp_path) -> Iterator[ProjectFactory]:
    """`new_project(persistent=False, control_planes=1, workers=1)` → EngineProject; all removed after."""
    factory = ProjectFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def private_daemon(engine_ready) -> Iterator[SecondDaemon]:
    """A dockerd of the test's own (harness.second_daemon) with the harness images, selected for
    the test's docker CLI and every run it starts: a test that restarts the daemon takes no other
    test's containers with it. Tests using it carry xdist_group(SECOND_DAEMON_GROUP)."""
    with second_dockerd() as daemon, daemon.selected():
        ensure_registry_image()
        ensure_node_image()
        yield daemon
