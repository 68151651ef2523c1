"""One rule for the whole suite: with CI=true a `docker` or `engine` test may not skip.

A skip there means the harness is broken (Docker, the toolchain or an API server missing), so
it is reported as a failure. Locally such tests skip with the reason.
"""

import os

import pytest
from harness.apiserver import ENABLED_ENV
from harness.docker_env import in_ci

MUST_RUN_IN_CI = ("engine", "docker")
pytest_plugins = ["support.time_limits", "support.workers"]

# Stand-in clusters boot etcd + kube-apiserver only for the tests that talk to one (the engine's
# projects and the API server's own tests switch it back on).
os.environ.setdefault(ENABLED_ENV, "0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = next((m for m in MUST_RUN_IN_CI if item.get_closest_marker(m)), None)
    if report.skipped and marker and in_ci():
        report.outcome = "failed"
        report.longrepr = f"CI=true: {marker} test skipped ({report.longrepr}); it must run in CI"


@pytest.fixture(autouse=True)
def _fresh_docker_endpoint():
    """A process resolves its Docker endpoint once; tests run many CLI invocations in one process,
    each with its own environment, so each starts unresolved."""
    from kindplane.ops.docker_endpoint import current_endpoint

    current_endpoint.cache_clear()
    yield
    current_endpoint.cache_clear()
