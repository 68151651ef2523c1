"""`.ci/run`'s time budget reads pytest's JUnit files: the slowest tests come back as the node IDs
support/workers.py hands out first."""

from __future__ import annotations

from support.ci_budget import report, slowest

JUNIT = """<?xml version="1.0"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.engine.test_engine_drift" name="test_walk[pulumi]" time="186.2"/>
<testcase classname="tests.engine.test_engine_persistence" name="test_upgrade[True]@tests/engine/test_engine_persistence.py" time="73.0"/>
<testcase classname="tests.engine.test_engine_home" name="test_quick" time="5.1"><failure message="x"/></testcase>
</testsuite></testsuites>
"""


def test_slowest_gives_node_ids_over_the_bound_slowest_first(tmp_path):
    (tmp_path / "engine.xml").write_text(JUNIT)
    assert slowest(tmp_path, 40) == [
        "tests/engine/test_engine_drift.py::test_walk[pulumi]",
        "tests/engine/test_engine_persistence.py::test_upgrade[True]",  # xdist's group suffix dropped
    ]


def test_the_budget_counts_each_phase_and_names_the_slowest(tmp_path):
    (tmp_path / "engine.xml").write_text(JUNIT)
    (tmp_path / "phases").write_text("engine 100.0\nend 1300.5\n")
    text = report(tmp_path)
    assert "engine        1200 s  (2 passed, 1 failed)" in text
    assert "   186.2 s  tests.engine.test_engine_drift::test_walk[pulumi]" in text
