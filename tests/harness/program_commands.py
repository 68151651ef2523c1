"""The exact commands and container inputs the program registers, read from a mocked run.

Runs `kindplane.program.build(config, lookup=None-returning)` under tests/support's Pulumi mocks
and picks out what the Docker tests execute for real: the kind create/delete commands (with the
kind config as stdin), every per-node hosts.toml write/remove, the network join, and the
registry Container/Volume inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from support.pulumi_mocks import COMMAND, CONTAINER, VOLUME, run_program

from kindplane.core.config import KindplaneConfig, parse_config
from kindplane.program import build


@dataclass(frozen=True)
class ShellCommand:
    """One command.local.Command: `create`/`delete` shell strings and its stdin."""

    resource: str
    create: str
    delete: Optional[str]
    stdin: Optional[str]


@dataclass(frozen=True)
class ProgramCommands:
    config: KindplaneConfig
    kind: ShellCommand
    kubeconfig: ShellCommand
    hosts_toml: dict[str, ShellCommand]  # node name → its write/remove command
    network_join: Optional[ShellCommand]
    registry_container: Optional[dict]  # the mocked docker Container inputs (camelCase keys)
    registry_volume: Optional[dict]
    # retain_on_delete of the Container/Volume: what a destroy ("down") leaves behind.
    registry_container_retained: bool = False
    registry_volume_retained: bool = False


def _command(res) -> ShellCommand:
    return ShellCommand(res.name, res.inputs["create"], res.inputs.get("delete"), res.inputs.get("stdin"))


def program_commands(config: KindplaneConfig | str) -> ProgramCommands:
    """`config` is a KindplaneConfig or kindplane.yaml text."""
    if isinstance(config, str):
        config = parse_config(config, "test.yaml")
    run = run_program(lambda: build(config, lambda c, owner: {}))
    commands = {r.name: r for r in run.of_type(COMMAND)}
    hosts = {name.split("-hosts-", 1)[1]: _command(res) for name, res in commands.items() if "-wiring-hosts-" in name}
    network = [res for name, res in commands.items() if name.endswith("-wiring-network")]
    containers, volumes = run.of_type(CONTAINER), run.of_type(VOLUME)
    return ProgramCommands(
        config=config,
        kind=_command(next(r for n, r in commands.items() if n.endswith("-cluster-kind"))),
        kubeconfig=_command(next(r for n, r in commands.items() if n.endswith("-cluster-kubeconfig"))),
        hosts_toml=hosts,
        network_join=_command(network[0]) if network else None,
        registry_container=dict(containers[0].inputs) if containers else None,
        registry_volume=dict(volumes[0].inputs) if volumes else None,
        registry_container_retained=bool(containers and containers[0].opts.retain_on_delete),
        registry_volume_retained=bool(volumes and volumes[0].opts.retain_on_delete),
    )


def config_text(
    cluster: str,
    control_planes: int = 1,
    workers: int = 0,
    registry: str | None = None,
    port: int | None = None,
    persistent: bool = False,
    image: str | None = None,
) -> str:
    """A kindplane.yaml with the registry enabled when `registry` is given."""
    text = f"cluster:\n  name: {cluster}\n  nodes:\n    controlPlane: {control_planes}\n    workers: {workers}\n"
    if registry is not None:
        text += (
            f"  registry:\n    enabled: true\n    name: {registry}\n    port: {port}\n"
            f"    persistent: {'true' if persistent else 'false'}\n"
        )
        if image is not None:
            text += f"    image: '{image}'\n"
    return text
