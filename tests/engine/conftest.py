"""Real-engine tests: `pulumi` and `kindplane` run on a copy of this project, for real.

Every test here is marked `engine` (and `docker`). With CI=true a missing toolchain, Docker or
API server fails the test instead of skipping it: .ci/run builds or reuses the toolchain first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from harness.engine import EngineProject, engine_config, make_project, remove_leftovers, require_engine
from harness.fixtures import *  # noqa: F401,F403
from harness.names import free_port, unique_name


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
        self.made: list[tuple[EngineProject, str, str]] = []

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
        self.made.append((project, cluster, registry))
        return project

    def cleanup(self) -> None:
        for project, cluster, registry in self.made:
            try:
                project.destroy(check=False)
            except Exception as exc:  # a hung destroy must not leave nodes and containers behind
                print(f"teardown: destroy of {project.stack} failed: {exc}")
            remove_leftovers(cluster, registry)


@pytest.fixture
def new_project(engine_ready, tmp_path) -> Iterator[ProjectFactory]:
    """`new_project(persistent=False, control_planes=1, workers=1)` → EngineProject; all removed after."""
    factory = ProjectFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.cleanup()
