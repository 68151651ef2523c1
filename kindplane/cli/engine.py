"""The one narrow interface between the CLI and Pulumi's Automation API.

Commands only see `Engine`; `PulumiEngine` is the real implementation and the only code that
imports `pulumi.automation` (lazily, so fast commands never load Pulumi). Tests drive the CLI
with a recording double of `Engine`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Protocol

from ..core.contract import CONFIG_FILE_KEY, OUTPUT_CONFIG_FILE, PROJECT, STACK_TYPE
from ..core.versions import pulumi_cli_problem
from .state import (
    RecordedWorld,
    RegistryFate,
    holds_resources,
    kind_cluster_of,
    mirror_fates_of,
    pending_clusters_of,
    recorded_world_of,
    registry_fate_of,
    resource_name,
    stack_outputs_of,
)
from .workspace import StackTarget

if TYPE_CHECKING:
    from .pulumi_run import Operation

__all__ = [
    "StackTarget",
    "Engine",
    "EngineError",
    "StackBusy",
    "ProgramRefused",
    "NoSuchStack",
    "RegistryFate",
    "RecordedWorld",
    "ResourceStep",
]


PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
NOTE_PREFIX = "kindplane: "  # the program's info lines a user should see (kindplane.program.note)


@dataclass(frozen=True)
class ResourceStep:
    """One resource operation, as the progress display shows it and the plan check reads it."""

    phase: str  # "start" | "done" | "failed"; "note": a line of the program's (`name`), not a step
    op: str  # Pulumi's op: create, update, replace, delete, same, refresh, …
    type: str
    name: str
    urn: str = ""
    old_inputs: Mapping[str, Any] = field(default_factory=dict)  # as the state holds them
    new_inputs: Mapping[str, Any] = field(default_factory=dict)  # as the program asks now
    retained: bool = False  # the state's retainOnDelete: Pulumi's delete leaves the thing in Docker
    keys: tuple[str, ...] = ()  # the inputs that force a replacement


OnStep = Callable[[ResourceStep], None]


class EngineError(RuntimeError):
    """A failed operation, already reduced to what a user needs to read."""


class StackBusy(EngineError):
    """Another update holds the stack's lock."""


class ProgramRefused(EngineError):
    """The program stopped before creating anything (foreign container, bad config)."""


class NoSuchStack(EngineError):
    """down/preview/status never create a stack: there is nothing of that name to act on."""


class Engine(Protocol):
    def exists(self) -> bool: ...

    def refresh(self, on_step: OnStep) -> None: ...

    def up(self, on_step: OnStep, replace_cluster: bool = False, refresh: bool = False) -> dict[str, Any]: ...

    def preview(self, on_step: OnStep, replace_cluster: bool = False, refresh: bool = False) -> dict[str, int]: ...

    def destroy(self, on_step: OnStep, refresh: bool = False) -> None: ...

    def outputs(self) -> dict[str, Any]: ...

    def managed_clusters(self) -> set[str]: ...

    def pending_clusters(self) -> set[str]: ...

    def registry_fate(self) -> Optional[RegistryFate]: ...

    def mirror_fates(self) -> list[RegistryFate]: ...

    def recorded_outputs(self) -> dict[str, Any]: ...

    def recorded_world(self) -> RecordedWorld: ...

    def recorded_resources(self) -> list[dict[str, Any]]: ...

    def has_resources(self) -> bool: ...

    def clear_stale_locks(self) -> list[str]: ...

    def last_config_file(self) -> Optional[str]: ...

    def list_stacks(self) -> list[dict[str, Any]]: ...


EngineFactory = Callable[[StackTarget], Engine]


def pulumi_engine(target: StackTarget) -> Engine:
    return PulumiEngine(target)


def lock_hint(target: StackTarget, backend_dir: Optional[Path]) -> str:
    """Where a killed run's stale lock lives, for file backends (`pulumi cancel` otherwise)."""
    from .stack_locks import lock_dir

    if backend_dir is not None:
        return f"remove the stale lock with `rm -r {shlex.quote(str(lock_dir(backend_dir, PROJECT, target.stack)))}`"
    return f"clear the stale lock with `pulumi cancel --stack {shlex.quote(target.stack)}`"


class PulumiEngine:
    """Engine over the Automation API, running the project's own program in its own folder.

    Nothing here keeps a second state: the stack, its config file and the backend are the
    project's (see workspace.py), so `pulumi up -s X` in that folder sees the same resources.
    """

    def __init__(self, target: StackTarget):
        self.target = target
        self._stack_obj = None
        # The exported state, read once between changes: up's checks ask it three questions.
        self._deployment_cache: Optional[dict] = None
        self._outputs_cache: Optional[dict[str, Any]] = None  # `stack output`, until the next operation
        self._diagnostics: list[str] = []
        self._program_errors: list[str] = []
        self._pulumi_command = None  # built once: building it runs `pulumi version`
        self._env_vars: Optional[dict[str, str]] = None  # built once: it reads the docker config

    # --- the stack ------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        if self._env_vars is None:
            self._env_vars = self._build_env()
        return self._env_vars

    def _build_env(self) -> dict[str, str]:
        import sys

        from ..ops.docker_endpoint import EndpointError, current_endpoint
        from ..ops.python_env import language_host_environment
        from ..ops.tools import search_path
        from .workspace import absolute_backend, effective_backend

        env = {
            "PATH": search_path(),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            # The program must run on the interpreter kindplane is installed in.
            "PULUMI_PYTHON_CMD": os.environ.get("PULUMI_PYTHON_CMD") or sys.executable,
        }
        if env["PULUMI_PYTHON_CMD"] == sys.executable:
            env.update(language_host_environment())  # pip for the host's package listing
        try:
            # The one daemon of this run, for the docker provider and every docker/kind command.
            env.update(current_endpoint().environment())
        except EndpointError:
            pass  # the program stops with the same message and its fix
        backend = effective_backend(self.target)
        if backend:
            env["PULUMI_BACKEND_URL"] = absolute_backend(backend, self.target.project_dir)
        if not any(os.environ.get(v) is not None for v in PASSPHRASE_VARS):
            # The file backend encrypts secrets (the kubeconfig) with a passphrase; an empty one
            # keeps the state usable without prompting. Set your own to override it.
            env["PULUMI_CONFIG_PASSPHRASE"] = ""
        return env

    def _command(self):
        if self._pulumi_command is None:
            from ..ops.tool_versions import pulumi_version_text
            from ..ops.tools import find_pulumi
            from .pulumi_run import read_pulumi_command

            pulumi = find_pulumi()
            if pulumi is None:
                raise EngineError("the Pulumi CLI is not installed: run `kindplane setup`")
            try:
                version = pulumi_version_text(pulumi)  # preflight read it already (and checked the minimum)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise EngineError(f"`{pulumi} version` failed ({exc}); reinstall it with `kindplane setup`") from None
            too_old = pulumi_cli_problem(version)  # older CLIs have no resource hooks (kept containers)
            if too_old:
                raise EngineError(too_old)
            self._pulumi_command = read_pulumi_command(pulumi, version)
        return self._pulumi_command

    def _options(self):
        from pulumi import automation as auto

        return auto.LocalWorkspaceOptions(
            work_dir=str(self.target.project_dir), env_vars=self._env(), pulumi_command=self._command()
        )

    def _backend_dir(self) -> Optional[Path]:
        """The folder of a file backend; None for Pulumi Cloud and other backends."""
        from .workspace import effective_backend, file_backend_dir

        return file_backend_dir(effective_backend(self.target) or "", self.target.project_dir)

    def _prepare_backend(self) -> None:
        from .workspace import write_own_project

        folder = self._backend_dir()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)  # Pulumi refuses a file backend that is missing
        if self.target.own_project:
            write_own_project(self.target.project_dir, self.target.backend or "")

    def _stack(self, create: bool = False):
        """Selects the stack; only `up` (create=True) may create it, and then names its file."""
        if self._stack_obj is not None:
            return self._stack_obj
        from pulumi import automation as auto

        self._prepare_backend()
        name, opts = self.target.stack, self._options()
        try:
            stack = self._run(
                lambda: auto.select_stack(stack_name=name, work_dir=str(self.target.project_dir), opts=opts)
            )
        except NoSuchStack:
            if not create:
                raise
            stack = self._run(
                lambda: auto.create_stack(stack_name=name, work_dir=str(self.target.project_dir), opts=opts)
            )
        if create:
            current = self._run(lambda: stack.get_all_config()).get(CONFIG_FILE_KEY)
            if current is None or current.value != self.target.config_file:
                self._run(lambda: stack.set_config(CONFIG_FILE_KEY, auto.ConfigValue(self.target.config_file)))
        self._stack_obj = stack
        return stack

    def _stack_file_names_config(self) -> bool:
        """The stack exists (its checkpoint is read) and its stack file already names this
        kindplane.yaml: `up` runs with no `stack select` and `config` calls before it (~0.5 s)."""
        from .workspace import read_yaml, stack_file

        if self._checkpoint_deployment() is None:
            return False
        settings = read_yaml(stack_file(self.target.project_dir, self.target.stack))
        return (settings.get("config") or {}).get(CONFIG_FILE_KEY) == self.target.config_file

    def _require_stack(self) -> None:
        """NoSuchStack, in the CLI's words, unless the stack exists; a file backend's checkpoint
        answers without a `stack select`."""
        if not self.exists():
            self._stack()

    def exists(self) -> bool:
        if self._stack_obj is None and self._checkpoint_deployment() is not None:
            return True  # a file backend's checkpoint is there: no `stack select` needed to know
        try:
            self._stack()
        except NoSuchStack:
            return False
        return True

    # --- events and errors --------------------------------------------------------------------

    def _on_event(self, on_step: OnStep):
        def handle(event) -> None:
            diag = event.diagnostic_event
            if diag and diag.severity == "error":
                message = diag.message.strip()
                self._diagnostics.append(message)
                if STACK_TYPE in (diag.urn or ""):
                    self._program_errors.append(message)
            elif diag and diag.severity == "info" and diag.message.strip().startswith(NOTE_PREFIX):
                # The program's read-back found wiring changed by hand (core.render.drift).
                on_step(ResourceStep("note", "note", STACK_TYPE, diag.message.strip().removeprefix(NOTE_PREFIX)))
            for phase, ev in (
                ("start", event.resource_pre_event),
                ("done", event.res_outputs_event),
                ("failed", event.res_op_failed_event),
            ):
                if ev is not None:
                    on_step(step_of(phase, ev.metadata))

        return handle

    def _run(self, call: Callable[[], Any]) -> Any:
        from pulumi.automation import errors

        from .interrupts import run_interruptibly

        self._diagnostics.clear()
        self._program_errors.clear()
        try:
            return run_interruptibly(call)
        except errors.StackNotFoundError:
            raise NoSuchStack(
                f"there is no stack {self.target.stack!r} in {self.target.backend or 'the project backend'} "
                f"(project {self.target.project_dir}); `kindplane up` creates it, `pulumi stack ls` lists "
                f"the existing ones"
            ) from None
        except errors.ConcurrentUpdateError:
            raise StackBusy(
                f"another kindplane run is updating stack {self.target.stack!r} right now; wait for it "
                f"to finish and run this again. If none is running (it was killed), "
                f"{lock_hint(self.target, self._backend_dir())}"
            ) from None
        except errors.InvalidVersionError as exc:
            raise EngineError(f"{exc}; run `kindplane setup` or upgrade Pulumi") from None
        except errors.CommandError as exc:
            if self._program_errors:
                raise ProgramRefused("\n".join(dict.fromkeys(self._program_errors))) from None
            raise EngineError(self._explain(exc)) from None

    def _explain(self, exc: Exception) -> str:
        # Resource errors arrive as diagnostics; the raw text holds the whole CLI transcript.
        lines = [d for d in self._diagnostics if d]
        if not lines:
            text = [line.strip() for line in str(exc).strip().splitlines()]
            lines = [line[line.find("error:") :] for line in text if "error:" in line] or text[-5:]
        return "\n".join(dict.fromkeys(lines))

    # --- Engine -------------------------------------------------------------------------------

    def _operation(self, args: list[str], on_step: OnStep) -> Operation:
        """One CLI run with its events (pulumi_run.py): what `stack.up()` and friends run, without
        the `stack output`/`stack history` calls they add after it."""
        from .pulumi_run import run_operation

        self._deployment_cache = self._outputs_cache = None
        command, env, on_event = self._command(), self._env(), self._on_event(on_step)
        try:
            return self._run(
                lambda: run_operation(command, args, self.target.stack, str(self.target.project_dir), env, on_event)
            )
        finally:
            self._deployment_cache = self._outputs_cache = None

    def refresh(self, on_step: OnStep) -> None:
        self._stack()
        # --clear-pending-creates: an interrupted create must not block the next run.
        self._operation(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"], on_step)

    def up(self, on_step: OnStep, replace_cluster: bool = False, refresh: bool = False) -> dict[str, Any]:
        """The stack's plain outputs (what the summary shows) as the engine reported them.
        `refresh`: the refresh and the update in one engine run (`pulumi up --refresh`)."""
        if self._stack_file_names_config():
            self._prepare_backend()
            stack = self._stack_obj  # None: the checkpoint answers _cluster_urns
        else:
            stack = self._stack(create=True)
        replace = self._cluster_urns(stack) if replace_cluster else []
        args = [
            "up",
            "--yes",
            "--skip-preview",
            *(["--refresh"] if refresh else []),
            *(arg for urn in replace for arg in ("--replace", urn)),
        ]
        return self._operation(args, on_step).outputs

    def preview(self, on_step: OnStep, replace_cluster: bool = False, refresh: bool = False) -> dict[str, int]:
        """`refresh`: the plan on the state as Docker and the cluster show it now, in the same run.
        One CLI run like up's (no `stack select` first); never creates the stack."""
        self._require_stack()
        self._prepare_backend()
        replace = self._cluster_urns(self._stack_obj) if replace_cluster else []
        args = [
            "preview",
            *(["--refresh"] if refresh else []),
            *(arg for urn in replace for arg in ("--replace", urn)),
        ]
        return self._operation(args, on_step).changes

    def clear_stale_locks(self) -> list[str]:
        """Removes this stack's locks left by killed runs on this host; says whose they were."""
        from .stack_locks import is_stale, lock_dir, read_locks, remove

        folder = self._backend_dir()
        if folder is None:
            return []  # Pulumi Cloud and others: their locks are theirs (`pulumi cancel`)
        removed = []
        for lock in read_locks(lock_dir(folder, PROJECT, self.target.stack)):
            if is_stale(lock):
                remove(lock)
                removed.append(lock.describe())
        return removed

    def destroy(self, on_step: OnStep, refresh: bool = False) -> None:
        """`refresh`: refreshed first in the same engine run (`pulumi destroy --refresh`). One CLI
        run, like preview's: no `stack select` first when the checkpoint says the stack exists."""
        self._require_stack()
        self._prepare_backend()
        self._operation(["destroy", "--yes", "--skip-preview", *(["--refresh"] if refresh else [])], on_step)

    def list_stacks(self) -> list[dict[str, Any]]:
        """Every stack of the project's backend: Pulumi's summary plus its plain (non-secret) outputs."""
        from pulumi import automation as auto

        self._prepare_backend()
        opts = self._options()
        workspace = auto.LocalWorkspace(
            work_dir=opts.work_dir, env_vars=opts.env_vars, pulumi_command=opts.pulumi_command
        )
        found = []
        for summary in self._run(workspace.list_stacks):
            outputs = self._run(lambda: workspace.stack_outputs(summary.name))
            found.append(
                {
                    "stack": summary.name,
                    # The Automation API parses Pulumi's UTC timestamp without a zone; scripts get ISO 8601 text.
                    "lastUpdate": summary.last_update.replace(tzinfo=timezone.utc).isoformat()
                    if summary.last_update
                    else None,
                    "resourceCount": summary.resource_count,
                    "updateInProgress": summary.update_in_progress,
                    "outputs": {key: out.value for key, out in outputs.items() if not out.secret},
                }
            )
        return found

    def outputs(self) -> dict[str, Any]:
        """Every output, secrets in plain text: read from a file backend's checkpoint under the
        empty passphrase (state_secrets), else one `stack output` (the Automation API's
        `outputs()` runs two, to tell which are secret)."""
        import json

        from .pulumi_run import run_command

        if self._outputs_cache is None and self._empty_passphrase():
            from .state_secrets import stack_outputs

            deployment = self._checkpoint_deployment()
            self._outputs_cache = stack_outputs(deployment) if deployment is not None else None
        if self._outputs_cache is None:
            self._require_stack()
            self._prepare_backend()  # the project folder `stack output` runs in
            command, env = self._command(), self._env()
            argv = ["stack", "output", "--json", "--show-secrets"]
            result = self._run(lambda: run_command(command, argv, self.target.stack, str(self.target.project_dir), env))
            self._outputs_cache = json.loads(result.stdout or "{}")
        return dict(self._outputs_cache)

    @staticmethod
    def _empty_passphrase() -> bool:
        """kindplane's default, or PULUMI_CONFIG_PASSPHRASE set empty; a passphrase or passphrase
        file of the user's keeps the secrets for the Pulumi CLI to open."""
        passphrase, passphrase_file = (os.environ.get(variable) for variable in PASSPHRASE_VARS)
        return not passphrase and passphrase_file is None

    def _deployment(self, stack) -> dict:
        if self._deployment_cache is None:
            found = self._checkpoint()
            self._deployment_cache = found if found is not None else self._run(stack.export_stack).deployment or {}
        return self._deployment_cache

    def _checkpoint(self) -> Optional[dict]:
        """The state straight from a file backend's checkpoint (what `stack export` prints, without
        the CLI); None when the backend is not one checkpoint.py reads."""
        from .checkpoint import NotReadable, read_deployment

        folder = self._backend_dir()
        if folder is None:
            return None
        try:
            return read_deployment(folder, PROJECT, self.target.stack)
        except NotReadable:
            return None

    def _checkpoint_deployment(self) -> Optional[dict]:
        """The cached state when a file backend's checkpoint holds it (the stack exists then)."""
        if self._deployment_cache is None:
            self._deployment_cache = self._checkpoint()
        return self._deployment_cache

    def _deployment_or_empty(self) -> dict:
        """The state, or an empty one when the stack does not exist yet (before the first up)."""
        found = self._checkpoint_deployment()
        if found is not None:
            return found
        try:
            stack = self._stack()
        except NoSuchStack:
            return {}
        return self._deployment(stack)

    def _resources(self, stack) -> list[dict]:
        return list(self._deployment(stack).get("resources") or [])

    def managed_clusters(self) -> set[str]:
        """Clusters in the state, counting creates an interrupted run left pending."""
        deployment = self._deployment_or_empty()
        return {name for r in deployment.get("resources") or [] if (name := kind_cluster_of(r))} | pending_clusters_of(
            deployment
        )

    def pending_clusters(self) -> set[str]:
        """Clusters whose `kind create` was cut off: kind may have left half-made nodes."""
        return pending_clusters_of(self._deployment_or_empty())

    def registry_fate(self) -> Optional[RegistryFate]:
        return registry_fate_of(self._existing_resources())

    def mirror_fates(self) -> list[RegistryFate]:
        return mirror_fates_of(self._existing_resources())

    def _existing_resources(self) -> list[dict]:
        """The resources of a stack that must exist (the checkpoint's, when it has them)."""
        self._require_stack()
        return self._resources(self._stack_obj)  # None: _deployment reads the checkpoint

    def recorded_outputs(self) -> dict[str, Any]:
        """The stack outputs the last update wrote, from the state (secrets stay ciphertext)."""
        return stack_outputs_of(list(self._deployment_or_empty().get("resources") or []))

    def recorded_world(self) -> RecordedWorld:
        return recorded_world_of(self._deployment_or_empty())

    def recorded_resources(self) -> list[dict[str, Any]]:
        """Every resource of the state as the last update left it (secrets stay ciphertext)."""
        return list(self._deployment_or_empty().get("resources") or [])

    def has_resources(self) -> bool:
        """Whether the state holds anything a plan could destroy (not after a down, not new)."""
        return holds_resources(self._deployment_or_empty())

    def last_config_file(self) -> Optional[str]:
        return self.recorded_outputs().get(OUTPUT_CONFIG_FILE)

    def _cluster_urns(self, stack) -> list[str]:
        from ..core.config import load_config

        name = load_config(self.target.config_path).cluster.name
        return [r["urn"] for r in self._resources(stack) if kind_cluster_of(r) == name]


def step_of(phase: str, meta: Any) -> ResourceStep:
    """A ResourceStep from the Automation API's StepEventMetadata."""
    old, new = meta.old, meta.new
    return ResourceStep(
        phase,
        str(getattr(meta.op, "value", meta.op)),
        meta.type,
        resource_name(meta.urn),
        meta.urn,
        old_inputs=dict((old.inputs if old else None) or {}),
        new_inputs=dict((new.inputs if new else None) or {}),
        retained=bool(old and old.retain_on_delete),
        keys=tuple(meta.keys or ()),
    )
