"""The one narrow interface between the CLI and Pulumi's Automation API.

Commands only see `Engine`; `PulumiEngine` is the real implementation and the only code that
imports `pulumi.automation` (lazily, so fast commands never load Pulumi). Tests drive the CLI
with a recording double of `Engine`.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol
from urllib.parse import urlparse

if TYPE_CHECKING:  # type hints only: importing pydantic at start-up costs ~0.1 s
    from ..config import KindplaneConfig


PROJECT = "kindplane"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
# Provider plugins the program uses; their versions come from the installed SDK packages.
PLUGIN_PACKAGES = ("pulumi_docker", "pulumi_command", "pulumi_kubernetes")


@dataclass(frozen=True)
class StackTarget:
    stack: str
    backend: str
    config: KindplaneConfig


@dataclass(frozen=True)
class ResourceStep:
    """One resource operation, as the progress display shows it."""

    phase: str  # "start" | "done" | "failed"
    op: str  # Pulumi's op: create, update, replace, delete, same, refresh, …
    type: str
    name: str


OnStep = Callable[[ResourceStep], None]


class EngineError(RuntimeError):
    """A failed operation, already reduced to what a user needs to read."""


class StackBusy(EngineError):
    """Another update holds the stack's lock."""


class ProgramRefused(EngineError):
    """The program stopped before creating anything (foreign container, bad config)."""


class Engine(Protocol):
    def refresh(self, on_step: OnStep) -> None: ...

    def up(self, on_step: OnStep, replace_cluster: bool = False) -> dict[str, Any]: ...

    def preview(self, on_step: OnStep) -> dict[str, int]: ...

    def destroy(self, on_step: OnStep) -> None: ...

    def outputs(self) -> dict[str, Any]: ...

    def managed_clusters(self) -> set[str]: ...


EngineFactory = Callable[[StackTarget], Engine]


def pulumi_engine(target: StackTarget) -> Engine:
    return PulumiEngine(target)


def lock_hint(target: StackTarget) -> str:
    """Where a killed run's stale lock lives, for file backends (`pulumi cancel` otherwise)."""
    url = urlparse(target.backend)
    if url.scheme == "file":
        locks = Path(url.path) / ".pulumi" / "locks" / "organization" / PROJECT / target.stack
        return f"remove the stale lock with `rm -r {shlex.quote(str(locks))}`"
    return f"clear the stale lock with `pulumi cancel --stack {shlex.quote(target.stack)}`"


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def kind_cluster_of(resource: dict) -> Optional[str]:
    """The cluster name a `kind create cluster --name X` command resource manages, if it is one."""
    if resource.get("type") != "command:local:Command":
        return None
    try:
        argv = shlex.split((resource.get("inputs") or {}).get("create") or "")
    except ValueError:
        return None
    if argv[:3] == ["kind", "create", "cluster"] and "--name" in argv[:-1]:
        return argv[argv.index("--name") + 1]
    return None


class PulumiEngine:
    """Engine over the Automation API: inline program, local workspace, no Pulumi project files."""

    def __init__(self, target: StackTarget):
        self.target = target
        self._stack_obj = None
        self._refusal: list[BaseException] = []
        self._diagnostics: list[str] = []

    # --- the stack ------------------------------------------------------------------------

    def _program(self) -> None:
        from ..docker_lookup import AdoptionError
        from ..errors import ConfigError
        from ..program import build

        try:
            build(self.target.config)
        except (AdoptionError, ConfigError) as exc:
            self._refusal.append(exc)  # reported as its own line instead of a traceback
            raise

    def _env(self) -> dict[str, str]:
        from ..tools import search_path

        env = {"PATH": search_path(), "PULUMI_SKIP_UPDATE_CHECK": "true"}
        if not any(os.environ.get(v) is not None for v in PASSPHRASE_VARS):
            # The file backend encrypts secrets (the kubeconfig) with a passphrase; an empty one
            # keeps the state usable without prompting. Set your own to override it.
            env["PULUMI_CONFIG_PASSPHRASE"] = ""
        return env

    def _stack(self):
        if self._stack_obj is not None:
            return self._stack_obj
        from pulumi import automation as auto

        from ..tools import kindplane_home, pulumi_root

        url = urlparse(self.target.backend)
        if url.scheme == "file":
            Path(url.path).mkdir(parents=True, exist_ok=True)  # `pulumi login file://` needs it
        ours = pulumi_root()
        command = auto.PulumiCommand(root=str(ours)) if (ours / "bin" / "pulumi").exists() else auto.PulumiCommand()
        settings = auto.ProjectSettings(
            name=PROJECT, runtime="python", backend=auto.ProjectBackend(self.target.backend)
        )
        # A fixed work dir per stack (the API would otherwise leave a new temp dir per run).
        work_dir = kindplane_home() / "workspaces" / self.target.stack
        work_dir.mkdir(parents=True, exist_ok=True)
        opts = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir), project_settings=settings, env_vars=self._env(), pulumi_command=command
        )
        stack = self._run(
            lambda: auto.create_or_select_stack(
                stack_name=self.target.stack, project_name=PROJECT, program=self._program, opts=opts
            )
        )
        self._ensure_plugins(stack)
        self._stack_obj = stack
        return stack

    def _ensure_plugins(self, stack) -> None:
        """Inline programs report no required plugins, so install the providers' explicitly."""
        import importlib.resources
        import json

        for package in PLUGIN_PACKAGES:
            meta = json.loads(importlib.resources.files(package).joinpath("pulumi-plugin.json").read_text())
            self._run(lambda: stack.workspace.install_plugin(meta["name"], "v" + meta["version"].lstrip("v")))

    # --- events and errors --------------------------------------------------------------------

    def _on_event(self, on_step: OnStep):
        def handle(event) -> None:
            if event.diagnostic_event and event.diagnostic_event.severity == "error":
                self._diagnostics.append(event.diagnostic_event.message.strip())
            for phase, ev in (("start", event.resource_pre_event), ("done", event.res_outputs_event), ("failed", event.res_op_failed_event)):
                if ev is not None:
                    meta = ev.metadata
                    op = getattr(meta.op, "value", meta.op)
                    on_step(ResourceStep(phase, str(op), meta.type, resource_name(meta.urn)))

        return handle

    def _run(self, call: Callable[[], Any]) -> Any:
        from pulumi.automation import errors

        self._refusal.clear()
        self._diagnostics.clear()
        try:
            return call()
        except errors.ConcurrentUpdateError:
            raise StackBusy(
                f"another kindplane run is updating stack {self.target.stack!r} right now; wait for it "
                f"to finish and run this again. If none is running (it was killed), {lock_hint(self.target)}"
            ) from None
        except errors.CommandError as exc:
            if self._refusal:
                raise ProgramRefused(str(self._refusal[0])) from None
            raise EngineError(self._explain(exc)) from None

    def _explain(self, exc: Exception) -> str:
        # Resource errors arrive as diagnostics; the raw text holds the whole CLI transcript.
        lines = [d for d in self._diagnostics if d]
        if not lines:
            text = [line.strip() for line in str(exc).strip().splitlines()]
            lines = [line[line.find("error:"):] for line in text if "error:" in line] or text[-5:]
        return "\n".join(dict.fromkeys(lines))

    # --- Engine -------------------------------------------------------------------------------

    def refresh(self, on_step: OnStep) -> None:
        stack = self._stack()
        # clear_pending_creates: an interrupted create must not block the next run.
        self._run(lambda: stack.refresh(on_event=self._on_event(on_step), clear_pending_creates=True, color="never"))

    def up(self, on_step: OnStep, replace_cluster: bool = False) -> dict[str, Any]:
        stack = self._stack()
        replace = self._cluster_urns(stack) if replace_cluster else None
        result = self._run(lambda: stack.up(on_event=self._on_event(on_step), replace=replace, color="never"))
        return {key: out.value for key, out in result.outputs.items()}

    def preview(self, on_step: OnStep) -> dict[str, int]:
        stack = self._stack()
        result = self._run(lambda: stack.preview(on_event=self._on_event(on_step), color="never"))
        return {getattr(op, "value", str(op)): count for op, count in result.change_summary.items()}

    def destroy(self, on_step: OnStep) -> None:
        stack = self._stack()
        self._run(lambda: stack.destroy(on_event=self._on_event(on_step), color="never"))

    def outputs(self) -> dict[str, Any]:
        stack = self._stack()
        return {key: out.value for key, out in self._run(stack.outputs).items()}

    def _resources(self, stack) -> list[dict]:
        deployment = self._run(stack.export_stack).deployment or {}
        return list(deployment.get("resources") or [])

    def managed_clusters(self) -> set[str]:
        return {name for r in self._resources(self._stack()) if (name := kind_cluster_of(r))}

    def _cluster_urns(self, stack) -> list[str]:
        name = self.target.config.cluster.name
        return [r["urn"] for r in self._resources(stack) if kind_cluster_of(r) == name]
