"""run_operation: one `pulumi` process per operation, its events in order, the stack's plain outputs.

A stub executable plays the CLI: it writes engine events (the JSON the real CLI writes) to the
--event-log file, slowly and with a line split in two, then exits with the code asked for.
tests/engine runs the real CLI.
"""

from __future__ import annotations

import json
import sys

import pytest
from cli_support import write_exe
from pulumi.automation import CommandError, PulumiCommand

from kindplane.cli.pulumi_run import plain_outputs, run_operation

STACK_URN = "urn:pulumi:dev::kindplane::pulumi:pulumi:Stack::kindplane-dev"
EVENTS = [
    {"sequence": 0, "timestamp": 1, "preludeEvent": {"config": {}}},
    {
        "sequence": 1,
        "timestamp": 1,
        "resourcePreEvent": {
            "metadata": {"op": "same", "urn": STACK_URN, "type": "pulumi:pulumi:Stack", "provider": ""}
        },
    },
    {
        "sequence": 2,
        "timestamp": 2,
        "resOutputsEvent": {
            "metadata": {
                "op": "same",
                "urn": STACK_URN,
                "type": "pulumi:pulumi:Stack",
                "provider": "",
                "new": {
                    "type": "pulumi:pulumi:Stack",
                    "urn": STACK_URN,
                    "outputs": {
                        "clusterName": "shop",
                        "kubeconfig": {"4dabf18193072939515e22adb298388d": "x", "ciphertext": "[secret]"},
                    },
                },
            }
        },
    },
    {
        "sequence": 3,
        "timestamp": 3,
        "summaryEvent": {
            "maybeCorrupt": False,
            "durationSeconds": 1,
            "resourceChanges": {"same": 13, "update": 1},
            "PolicyPacks": {},
        },
    },
    {"sequence": 4, "timestamp": 3, "cancelEvent": {}},
]

STUB = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps({{"argv": args, "debug": os.environ.get("PULUMI_DEBUG_COMMANDS")}}) + "\\n")
path = args[args.index("--event-log") + 1]
with open(path, "a") as events:
    for line in os.environ["STUB_EVENTS"].splitlines():
        events.write(line[:20]); events.flush(); time.sleep(0.01)   # half a line first
        events.write(line[20:] + "\\n"); events.flush(); time.sleep(0.01)
code = int(os.environ.get("STUB_EXIT", "0"))
if code:
    sys.stderr.write("error: the stack is currently locked by 1 lock(s).\\n")
sys.exit(code)
"""


@pytest.fixture
def pulumi(tmp_path, monkeypatch):
    exe = write_exe(tmp_path / "root" / "bin" / "pulumi", STUB.format(python=sys.executable))
    monkeypatch.setenv("STUB_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("STUB_EVENTS", "\n".join(json.dumps(e) for e in EVENTS))
    command = PulumiCommand.__new__(PulumiCommand)  # no `pulumi version` for a stub
    command.command, command.version = str(exe), None

    def calls() -> list[dict]:
        return [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]

    return command, calls


def test_one_process_with_the_automation_api_flags_and_every_event_in_order(pulumi, tmp_path):
    command, calls = pulumi
    seen = []
    done = run_operation(command, ["up", "--yes", "--skip-preview", "--refresh"], "dev", str(tmp_path), {}, seen.append)
    (call,) = calls()  # nothing before (stack select) and nothing after (outputs, history)
    argv = call["argv"]
    assert argv[:5] == ["--non-interactive", "up", "--yes", "--skip-preview", "--refresh"]
    assert argv[argv.index("--stack") + 1] == "dev"
    assert argv[argv.index("--color") + 1] == "never"
    assert call["debug"] == "true"  # without it the CLI refuses --event-log
    assert [e.sequence for e in seen] == [0, 1, 2, 3, 4]
    assert done.outputs == {"clusterName": "shop"}  # the secret kubeconfig is not an output we read
    assert done.changes == {"same": 13, "update": 1}


def test_a_failed_operation_raises_the_automation_api_error_after_its_events(pulumi, tmp_path, monkeypatch):
    command, _ = pulumi
    monkeypatch.setenv("STUB_EXIT", "255")
    seen = []
    with pytest.raises(CommandError, match="currently locked"):
        run_operation(command, ["destroy", "--yes", "--skip-preview"], "dev", str(tmp_path), {}, seen.append)
    assert len(seen) == len(EVENTS)


def test_plain_outputs_drop_secrets_and_keep_everything_else():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "[secret]"}
    assert plain_outputs({"a": 1, "b": {"x": "y"}, "kubeconfig": secret}) == {"a": 1, "b": {"x": "y"}}
