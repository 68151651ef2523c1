"""How the suite splits across xdist workers (tests/support/workers.py): tests that share a
module's fixture run on one worker, and so do tests of one named group."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

TESTS_DIR = Path(__file__).resolve().parents[1]
SHARING = """
import os
import pytest

@pytest.fixture(scope="module")
def cluster():
    return os.getpid()

@pytest.mark.parametrize("n", range(6))
def test_shares_the_cluster(cluster, n):
    assert cluster == os.getpid()  # built once, on the worker that runs them all

@pytest.mark.xdist_group("port-443")
@pytest.mark.parametrize("n", range(3))
def test_holds_port_443(n):
    with open(os.environ["PIDS"], "a") as out:
        out.write(f"{os.getpid()}\\n")

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    pass
"""


def test_module_fixture_users_and_named_groups_each_stay_on_one_worker(pytester, monkeypatch, tmp_path):
    pids = tmp_path / "pids"
    monkeypatch.setenv("PIDS", str(pids))
    monkeypatch.setenv("PYTHONPATH", str(TESTS_DIR))
    pytester.makeconftest('pytest_plugins = ["support.workers"]\n')
    pytester.makepyfile(SHARING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "3", "--dist", "loadgroup", "-v")
    result.assert_outcomes(passed=15)
    assert len(set(pids.read_text().split())) == 1
    ran = [line for line in result.stdout.lines if "PASSED" in line and "test_shares_the_cluster" in line]
    assert len(ran) == 6 and len({line.split("]")[0] for line in ran}) == 1, ran


def test_the_slowest_tests_are_handed_out_first_and_the_rest_keep_their_order():
    from types import SimpleNamespace

    from support.workers import slowest_first

    items = [SimpleNamespace(nodeid=name) for name in ("a", "b", "c", "d", "e")]
    ordered = slowest_first(items, ["d", "gone", "b"])  # type: ignore[arg-type]
    assert [item.nodeid for item in ordered] == ["d", "b", "a", "c", "e"]


def test_every_listed_slow_test_still_exists():
    import re

    from support.workers import slowest_tests

    listed = slowest_tests()
    assert len(listed) >= 10
    for nodeid in listed:
        path, name = nodeid.split("::")
        function = re.sub(r"\[.*\]$", "", name)
        source = TESTS_DIR.parent / path
        assert source.is_file(), nodeid
        assert re.search(rf"^def {re.escape(function)}\(", source.read_text(), re.M), nodeid
