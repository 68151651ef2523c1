"""Docker tests: every test here is marked `docker` and uses the harness fixtures.

With CI=true a Docker test may not skip: a skip there means the harness is broken, so it is
turned into a failure by tests/conftest.py (require_docker already fails instead of skipping in CI).
"""

import pytest
from harness.fixtures import *  # noqa: F401,F403


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/docker/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.docker)


@pytest.fixture(autouse=True)
def _needs_docker(docker_ready):
    """Every test here needs the engine, including those that only run the kind stand-in."""
