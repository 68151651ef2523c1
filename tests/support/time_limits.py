"""A time limit on every test (pytest-timeout), by marker: a hung command fails its own test in
minutes instead of the whole run at CI's 90. A test's own `@pytest.mark.timeout(N)` wins.

KINDPLANE_TEST_TIME_SCALE multiplies every limit (a slow laptop: 2; the plugin's own test: tiny).
"""

from __future__ import annotations

import os

import pytest

# Seconds. Each is a few times the slowest test of its kind measured on the 2-core CI machine
# (bench figures in docs/contributing.md); raise one only with a measurement.
LIMITS = {"engine": 900.0, "docker": 240.0}
FAST = 60.0


def limit_for(item: pytest.Item) -> float:
    base = next((seconds for marker, seconds in LIMITS.items() if item.get_closest_marker(marker)), FAST)
    return base * float(os.environ.get("KINDPLANE_TEST_TIME_SCALE") or 1)


@pytest.hookimpl(trylast=True)  # after the folders' conftests have added their markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(limit_for(item), method="signal"))
