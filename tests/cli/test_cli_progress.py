"""What the progress display prints for Pulumi's resource steps."""

from __future__ import annotations

import io

from recording_engine import step
from rich.console import Console

from kindplane.cli.progress import Progress


def run(steps, live=False, everything=False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=live, color_system=None)
    with Progress(console, "Creating", live=live, everything=everything) as progress:
        for s in steps:
            progress(s)
    return buffer.getvalue()


STEPS = [
    step("start", "create", "default_1_2_1", "pulumi:providers:command"),
    step("done", "create", "default_1_2_1", "pulumi:providers:command"),
    step("start", "same", "kindplane-cluster-kubeconfig"),
    step("done", "same", "kindplane-cluster-kubeconfig"),
    step("start", "create", "kindplane-cluster-kind"),
    step("done", "create", "kindplane-cluster-kind"),
    step("start", "replace", "kindplane-registry-container"),
    step("failed", "replace", "kindplane-registry-container"),
]


def test_one_line_per_finished_user_resource_when_not_on_a_terminal():
    lines = run(STEPS).splitlines()
    assert lines[0] == "Creating"
    assert [line.rsplit(" (", 1)[0] for line in lines[1:]] == [
        "created kindplane-cluster-kind",
        "failed replacing kindplane-registry-container",
    ]
    assert all(line.endswith("s)") for line in lines[1:])  # with elapsed seconds


def test_verbose_shows_pulumi_bookkeeping_too():
    text = run(STEPS, everything=True)
    assert "created default_1_2_1" in text and "same kindplane-cluster-kubeconfig" in text


def test_on_a_terminal_finished_lines_are_printed_and_the_live_view_is_cleared():
    text = run(STEPS, live=True)
    assert "created kindplane-cluster-kind" in text
    assert "failed replacing kindplane-registry-container" in text
