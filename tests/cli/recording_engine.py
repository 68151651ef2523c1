"""A test double of kindplane.cli.engine.Engine that records every call the CLI makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from kindplane.cli.engine import NoSuchStack, ResourceStep
from kindplane.cli.state import RecordedWorld, RegistryFate
from kindplane.cli.workspace import StackTarget

# What `down` asks the engine, in order, when it goes ahead: what the state says the registry,
# mirrors and clusters are, a killed run's lock, then refresh and destroy.
DOWN_CALLS = [
    "exists",
    "registry_fate",
    "mirror_fates",
    "managed_clusters",
    "clear_stale_locks",
    "destroy",
]


@dataclass
class RecordingEngine:
    managed: set[str] = field(default_factory=set)
    outputs_value: dict[str, Any] = field(default_factory=dict)
    steps: list[ResourceStep] = field(default_factory=list)  # replayed to on_step
    counts: dict[str, int] = field(default_factory=dict)
    fail_on: dict[str, BaseException] = field(default_factory=dict)  # call name → raised
    pending: set[str] = field(default_factory=set)  # clusters whose create was cut off
    stack_exists: bool = True
    fate: Optional[RegistryFate] = None  # what the state says destroy does to the registry
    mirrors: list[RegistryFate] = field(default_factory=list)  # what destroy does to each mirror
    recorded: dict[str, Any] = field(default_factory=dict)  # stack outputs the last update wrote
    resources: bool = False  # the state holds something a plan could destroy (False: a new stack)
    plan: list[ResourceStep] = field(default_factory=list)  # replayed to preview's on_step (default: steps)
    stale_locks: list[str] = field(default_factory=list)  # what clear_stale_locks removes
    last_config: Optional[str] = None
    world: RecordedWorld = field(default_factory=RecordedWorld)  # default: pending, so up refreshes first
    stacks: list[dict[str, Any]] = field(default_factory=list)  # what list_stacks answers
    targets: list[StackTarget] = field(default_factory=list)
    calls: list[tuple[str, dict]] = field(default_factory=list)

    def factory(self, target: StackTarget) -> "RecordingEngine":
        self.targets.append(target)
        return self

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def _call(self, name: str, on_step=None, **kwargs) -> None:
        self.calls.append((name, kwargs))
        if on_step is not None:
            for step in self.steps:
                on_step(step)
        if name in self.fail_on:
            raise self.fail_on[name]

    def pending_clusters(self) -> set[str]:
        self._call("pending_clusters")
        return set(self.pending)

    def exists(self) -> bool:
        self._call("exists")
        return self.stack_exists

    def registry_fate(self) -> Optional[RegistryFate]:
        self._call("registry_fate")
        return self.fate

    def list_stacks(self) -> list[dict[str, Any]]:
        self._call("list_stacks")
        return list(self.stacks)

    def last_config_file(self) -> Optional[str]:
        self._call("last_config_file")
        return self.last_config

    def refresh(self, on_step) -> None:
        self._call("refresh", on_step)

    def up(self, on_step, replace_cluster: bool = False, refresh: bool = False) -> dict[str, Any]:
        if refresh:
            self._call("up", on_step, replace_cluster=replace_cluster, refresh=True)
        else:
            self._call("up", on_step, replace_cluster=replace_cluster)
        return dict(self.outputs_value)

    def recorded_world(self) -> RecordedWorld:
        self._call("recorded_world")
        return self.world

    def preview(self, on_step, replace_cluster: bool = False, refresh: bool = False) -> dict[str, int]:
        self.calls.append(("preview", {"replace_cluster": replace_cluster, **({"refresh": True} if refresh else {})}))
        for planned in self.plan or self.steps:
            on_step(planned)
        if "preview" in self.fail_on:
            raise self.fail_on["preview"]
        return dict(self.counts)

    def mirror_fates(self) -> list[RegistryFate]:
        self._call("mirror_fates")
        return list(self.mirrors)

    def recorded_outputs(self) -> dict[str, Any]:
        self._call("recorded_outputs")
        return dict(self.recorded)

    def has_resources(self) -> bool:
        self._call("has_resources")
        return self.resources

    def clear_stale_locks(self) -> list[str]:
        self._call("clear_stale_locks")
        removed, self.stale_locks = self.stale_locks, []
        return removed

    def destroy(self, on_step, refresh: bool = False) -> None:
        self._call("destroy", on_step, **({"refresh": True} if refresh else {}))

    def outputs(self) -> dict[str, Any]:
        self._call("outputs")
        if not self.stack_exists:
            raise NoSuchStack(f"there is no stack {self.targets[-1].stack!r}")
        return dict(self.outputs_value)

    def managed_clusters(self) -> set[str]:
        self._call("managed_clusters")
        return set(self.managed)


def step(phase: str, op: str, name: str, type_: str = "command:local:Command") -> ResourceStep:
    return ResourceStep(phase, op, type_, name)


def target_of(engine: RecordingEngine) -> Optional[StackTarget]:
    return engine.targets[-1] if engine.targets else None
