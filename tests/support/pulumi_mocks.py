"""Runs the Pulumi program under Pulumi's own mocks and records what it registers.

Inputs come from the mock monitor (what the engine would receive); resource options come from
a stack transformation (the only place options such as retain_on_delete are observable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pulumi

KUBECONFIG_STDOUT = "apiVersion: v1\nkind: Config\n# from kind get kubeconfig\n"
REGISTRY_IMAGE_ID = "sha256:" + "1" * 64


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict
    provider: Optional[str]
    opts: pulumi.ResourceOptions = field(default_factory=pulumi.ResourceOptions)
    given_id: Optional[str] = None  # the ID a read (`.get`) or an import named

    def depends_on_names(self) -> list[str]:
        deps = self.opts.depends_on or []
        deps = deps if isinstance(deps, list) else [deps]
        return [d._name for d in deps]


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: dict[str, Registered] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "command:local:Command":
            # Commands never run under mocks; stand in for what kind would print.
            outputs["stdout"] = KUBECONFIG_STDOUT if args.name.endswith("-kubeconfig") else ""
        if args.typ == "docker:index/remoteImage:RemoteImage":
            outputs["imageId"] = REGISTRY_IMAGE_ID
        self.resources[args.name] = Registered(
            args.typ, args.name, dict(args.inputs), args.provider, given_id=args.resource_id or None
        )
        return [args.resource_id or f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@dataclass
class ProgramRun:
    resources: dict[str, Registered]
    outputs: dict[str, Any]
    secret_outputs: set[str]

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources.values() if r.type == typ]

    def one(self, typ: str) -> Registered:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, got {[r.name for r in found]}"
        return found[0]


CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"
COMMAND = "command:local:Command"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
K8S_PROVIDER = "pulumi:providers:kubernetes"


MOCK_PROJECT, MOCK_STACK = "kindplane", "test"
MOCK_OWNER = f"{MOCK_PROJECT}/{MOCK_STACK}"  # the owner label the program gives its registry


def run_program(program: Callable[[], Any]) -> ProgramRun:
    """Runs `program()` in a fresh mocked deployment and returns what it registered."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=MOCK_PROJECT, stack=MOCK_STACK, preview=False)
    options: dict[str, pulumi.ResourceOptions] = {}
    exported: dict[str, Any] = {}
    result: dict[str, Any] = {}

    def record(args: pulumi.ResourceTransformationArgs):
        options[args.name] = args.opts
        return None

    real_export = pulumi.export

    def capture(name: str, value: Any) -> None:
        exported[name] = value

    async def resolve() -> None:
        for key, value in exported.items():
            out = pulumi.Output.from_input(value)
            result[key] = (await out.future(), await out.is_secret())

    @pulumi.runtime.test
    def deployment():
        pulumi.runtime.register_stack_transformation(record)
        pulumi.export = capture
        try:
            program()
        finally:
            pulumi.export = real_export
        return pulumi.Output.from_input(resolve())

    deployment()
    for name, reg in mocks.resources.items():
        if name in options and options[name] is not None:
            reg.opts = options[name]
    return ProgramRun(
        mocks.resources,
        {k: v for k, (v, _) in result.items()},
        {k for k, (_, secret) in result.items() if secret},
    )
