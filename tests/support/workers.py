"""How the suite splits across pytest-xdist workers (`.ci/run` runs `-n N --dist loadgroup`).

Every test goes to whichever worker is free, except:
- tests that share a module- or class-scoped fixture (a cluster, a registry) stay on one worker,
  grouped by module: on several workers each would build that fixture again;
- tests marked `xdist_group(NAME)` share a worker with the rest of NAME: they use something only
  one test at a time can have (the second dockerd's bridge, host ports 80 and 443).
Names, ports, bridges and state are otherwise per test (harness.names), so workers never meet.

The longest walks (slowest_tests.txt, from a run's JUnit times) are handed out first: xdist gives
work in collection order, and one long walk started last keeps a phase running on one worker
while the others idle (~50 s at the end of an engine phase, measured).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_SCOPES = ("module", "class", "package")
SLOWEST = Path(__file__).with_name("slowest_tests.txt")


def slowest_tests(path: Path = SLOWEST) -> list[str]:
    """Node IDs, slowest first (blank lines and # comments ignored)."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def slowest_first(items: list[pytest.Item], slowest: list[str]) -> list[pytest.Item]:
    """The listed tests first, in the list's order; the rest after them, in collection order."""
    rank = {nodeid: i for i, nodeid in enumerate(slowest)}
    return sorted(items, key=lambda item: rank.get(item.nodeid, len(rank)))


def shares_a_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs[-1].scope in SHARED_SCOPES for defs in info.name2fixturedefs.values() if defs)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None and shares_a_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    if SLOWEST.is_file():
        items[:] = slowest_first(items, slowest_tests())
