"""The suite's CI rule (tests/conftest.py): a docker or engine test that skips fails in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

RULE = (Path(__file__).resolve().parents[1] / "conftest.py").read_text()
TESTS = """
import pytest

@pytest.mark.docker
def test_docker():
    pytest.skip("no daemon")

@pytest.mark.engine
def test_engine():
    pytest.skip("no toolchain")

def test_plain():
    pytest.skip("not applicable")
"""


@pytest.mark.parametrize("ci, failed, skipped", [("true", 2, 1), ("", 0, 3)])
def test_skipped_docker_and_engine_tests_fail_only_in_ci(pytester, monkeypatch, ci, failed, skipped):
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(RULE)
    pytester.makeini("[pytest]\nmarkers =\n    docker: d\n    engine: e\n")
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=failed, skipped=skipped)
    if failed:
        result.stdout.fnmatch_lines(["*CI=true: docker test skipped*it must run in CI*"])
