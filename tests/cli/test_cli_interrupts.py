"""Ctrl-C while Pulumi runs: the CLI child is told, allowed to finish cancelling, then we stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from cli_support import write_exe

from kindplane.cli.interrupts import Interrupted, pulumi_children, run_interruptibly

# A stand-in `pulumi` that takes its time to cancel, like the real one finishing an operation.
FAKE_PULUMI = """#!{python}
import signal, sys, time
def cancel(*_):
    time.sleep(0.5)
    open(sys.argv[1], "w").write("cancelled cleanly")
    sys.exit(255)
signal.signal(signal.SIGINT, cancel)
open(sys.argv[1] + ".started", "w").write("")
time.sleep(30)
"""


@pytest.fixture
def ctrl_c_raises():
    """Python's own SIGINT handler for the test: a run started in the background by a shell without
    job control (`cmd &`) inherits SIGINT ignored, and Python then installs none."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_interrupt_is_forwarded_to_pulumi_and_waits_for_its_cancel(tmp_path, ctrl_c_raises):
    pulumi = write_exe(tmp_path / "pulumi", FAKE_PULUMI.format(python=sys.executable))
    marker = tmp_path / "result"
    seen: list[int] = []

    def call():
        return subprocess.run([str(pulumi), str(marker)]).returncode

    def press_ctrl_c():
        while not (tmp_path / "result.started").exists():
            time.sleep(0.05)
        seen.extend(pulumi_children())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(Interrupted):
        run_interruptibly(call)
    assert len(seen) == 1  # the fake was recognised as our pulumi child
    assert marker.read_text() == "cancelled cleanly"  # we waited for the cancel to finish
    assert pulumi_children() == []


def test_without_an_interrupt_the_result_and_errors_pass_through():
    assert run_interruptibly(lambda: 42) == 42
    with pytest.raises(ValueError, match="boom"):
        run_interruptibly(lambda: (_ for _ in ()).throw(ValueError("boom")))
