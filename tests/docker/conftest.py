"""Docker tests: every test here is marked `docker` and uses the harness fixtures."""
import pytest

from harness.fixtures import *  # noqa: F401,F403


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/docker/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.docker)
