"""kind's own code (the toolchain's `kind` piece, built from sigs.k8s.io/kind): every test here
needs the toolchain, so it runs with the engine tests (marker `engine`, after .ci/run built the
toolchain); no Docker daemon is used. With CI=true a missing piece fails instead of skipping."""

import pytest
from harness.docker_env import in_ci
from harness.real_kind import KindMissing, kind_bin_dir


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/kind/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def kind_bin():
    try:
        return kind_bin_dir(build=in_ci())
    except KindMissing as exc:
        if in_ci():
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
