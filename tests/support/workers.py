"""How the suite splits across pytest-xdist workers (`.ci/run` runs `-n N --dist loadgroup`).

Every test goes to whichever worker is free, except:
- tests that share a module- or class-scoped fixture (a cluster, a registry) stay on one worker,
  grouped by module: on several workers each would build that fixture again;
- tests marked `xdist_group(NAME)` share a worker with the rest of NAME: they use something only
  one test at a time can have (the second dockerd's bridge, host ports 80 and 443).
Names, ports, bridges and state are otherwise per test (harness.names), so workers never meet.
"""

from __future__ import annotations

import pytest

SHARED_SCOPES = ("module", "class", "package")


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
