"""One Pulumi CLI operation (up, preview, refresh, destroy) with its engine events, and nothing more.

The Automation API's `Stack.up`/`destroy`/`refresh` start three more CLI processes after every
operation (`stack output` twice and `stack history`, about a second in all) to fill in a result
kindplane never reads, and selecting a stack starts one before. kindplane runs the operation
through the same `PulumiCommand`, with the same flags the Automation API passes, and reads the
same engine events (`EngineEvent`) from the event log the CLI writes; the stack's outputs come
from the engine's last event for the stack resource.
"""

from __future__ import annotations

import json
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ..core.contract import STACK_TYPE

if TYPE_CHECKING:
    from pulumi.automation import CommandResult, PulumiCommand
    from pulumi.automation.events import EngineEvent

# The CLI registers --event-log only for callers that say they are the Automation API.
DEBUG_COMMANDS = {"PULUMI_DEBUG_COMMANDS": "true"}
# How often the tail looks for new events: short, because the last one ends the wait.
POLL_SECONDS = 0.02


@dataclass
class Operation:
    """What one CLI operation reported through its events."""

    outputs: dict[str, Any] = field(default_factory=dict)  # the stack's plain (non-secret) outputs
    changes: dict[str, int] = field(default_factory=dict)  # op → count, from the summary event
    stdout: str = ""


def plain_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The stack outputs an event carries, without secrets (the engine shows them as ciphertext)."""
    return {
        key: value
        for key, value in outputs.items()
        if not (isinstance(value, dict) and value.get("ciphertext") == "[secret]")
    }


class EventTail:
    """Reads the CLI's event log as it grows and hands each event on, in order."""

    def __init__(self, path: Path, on_event: Callable[[EngineEvent], None]) -> None:
        self.path = path
        self.on_event = on_event
        self.operation = Operation()
        self.finished = threading.Event()  # the CLI has exited: read what is left, then stop
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, name="pulumi-events", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> Operation:
        self.finished.set()
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.operation

    def _run(self) -> None:
        from pulumi.automation.events import EngineEvent

        partial = ""
        try:
            with self.path.open(encoding="utf-8") as log:
                while True:
                    line = log.readline()
                    if not line:
                        if self.finished.is_set():
                            return
                        self.finished.wait(POLL_SECONDS)
                        continue
                    if not line.endswith("\n"):  # the CLI is still writing this one
                        partial += line
                        continue
                    raw, partial = json.loads(partial + line), ""
                    self._record(raw)
                    event = EngineEvent.from_json(raw)
                    self.on_event(event)
                    if event.cancel_event is not None:
                        return
        except BaseException as exc:  # handed to the caller's thread by stop()
            self.error = exc

    def _record(self, raw: dict[str, Any]) -> None:
        outputs_event = raw.get("resOutputsEvent")
        if outputs_event:
            metadata = outputs_event.get("metadata") or {}
            if metadata.get("type") == STACK_TYPE:
                self.operation.outputs = plain_outputs((metadata.get("new") or {}).get("outputs") or {})
        summary = raw.get("summaryEvent")
        if summary:
            self.operation.changes = dict(summary.get("resourceChanges") or {})


def read_pulumi_command(pulumi: str, version_text: str) -> PulumiCommand:
    """The Automation API's PulumiCommand for a CLI whose `pulumi version` was already read (its
    own constructor runs it again: ~0.15 s). kindplane checks the minimum itself, with its fix.

    Every call runs under kindplane.ops.run_guard, so that what Pulumi starts (plugins, the
    language host, the program) ends with it, and with kindplane if kindplane is killed."""
    import os
    import sys

    from pulumi.automation import PulumiCommand
    from semver import VersionInfo

    from ..ops import run_guard

    class ReadPulumiCommand(PulumiCommand):
        def __init__(self) -> None:  # not PulumiCommand's: that one runs `pulumi version`
            # The Automation API runs [command, *args]: the interpreter, then the guard and the CLI.
            self.command = sys.executable
            self.pulumi = pulumi
            try:
                self.version: Optional[VersionInfo] = VersionInfo.parse(version_text.strip().removeprefix("v"))
            except ValueError:
                self.version = None  # a development build: as the Automation API's opt-out leaves it

        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            path = additional_env.get("PATH") or os.environ.get("PATH", "")
            env = {
                **additional_env,
                # The CLI's own folder first, as the Automation API puts it (and not the interpreter's).
                run_guard.PATH_ENV: os.pathsep.join([os.path.dirname(self.pulumi), path]),
                run_guard.PARENT_ENV: str(os.getpid()),
            }
            # --non-interactive before the command, as the Automation API would insert it.
            guarded = ["-I", run_guard.__file__, self.pulumi, "--non-interactive", *args]
            return super().run(guarded, cwd, env, on_output, on_error)

    return ReadPulumiCommand()


def run_command(
    command: PulumiCommand, args: list[str], stack: str, work_dir: str, env: Mapping[str, str]
) -> CommandResult:
    """`pulumi <args> --stack <stack>` as the Automation API runs its commands (the debug switch
    that enables --event-log, the workspace's environment); CommandError when the CLI fails."""
    return command.run([*args, "--stack", stack], work_dir, {**DEBUG_COMMANDS, **env})


def run_operation(
    command: PulumiCommand,
    args: list[str],
    stack: str,
    work_dir: str,
    env: Mapping[str, str],
    on_event: Callable[[EngineEvent], None],
) -> Operation:
    """Runs `pulumi <args> --stack <stack>` with an event log; CommandError as the Automation API
    raises it when the CLI fails (the caller maps it to kindplane's words)."""
    with tempfile.TemporaryDirectory(prefix="kindplane-events-") as folder:
        log = Path(folder) / "events.jsonl"
        log.touch()
        tail = EventTail(log, on_event)
        tail.start()
        argv = [*args, "--color", "never", "--exec-kind", "auto.local", "--event-log", str(log)]
        try:
            result = run_command(command, argv, stack, work_dir, env)
        finally:
            operation = tail.stop()
        operation.stdout = result.stdout
        return operation
