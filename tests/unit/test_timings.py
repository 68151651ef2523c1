from __future__ import annotations

import time

from kindplane.cli.timings import Timings, process_age


def test_the_process_age_is_read_from_proc_and_is_this_processes():
    age = process_age()
    assert age is not None and 0 < age < time.monotonic()  # started after boot, before now


def test_a_recurring_phase_is_added_up_and_the_total_comes_first():
    timings = Timings()
    timings.phases = {}
    timings.lap("checks")
    time.sleep(0.02)
    timings.lap("update")
    timings.lap("checks")
    assert list(timings.phases) == ["checks", "update"]
    assert timings.phases["update"] >= 0.02
    assert timings.total >= sum(timings.phases.values())
    quiet, loud = timings.lines(False), timings.lines(True)
    assert quiet[0].endswith(" s (-v: where the time went)") and len(quiet) == 1
    assert loud[0].startswith("Done in ") and loud[1].startswith("  checks ") and " · update " in loud[1]
