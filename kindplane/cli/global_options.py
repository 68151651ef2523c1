"""-c/-s/--backend/-v before or after the command, the way Pulumi and kubectl users type them.

The root callback declares the options once. Every command below it gets a copy with the same
names and help that, when given there, sets the same CliContext field — so `kindplane up -s dev`
and `kindplane -s dev up` are one command. A value after the command wins over one before it.
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

from typer.core import TyperGroup

# Typer 0.29 carries its own copy of Click, so Click's classes are matched by shape, not imported.
GIVEN = ("COMMANDLINE", "ENVIRONMENT")

# Root callback parameter name → CliContext field.
GLOBAL_FIELDS = {"config": "config_path", "stack": "stack", "backend": "backend", "verbose": "verbose"}


def _store(ctx: Any, param: Any, value: Any) -> Any:
    source = ctx.get_parameter_source(param.name)
    if source is not None and source.name in GIVEN:
        from pathlib import Path

        if param.name == "config":
            value = Path(value)
        setattr(ctx.find_root().obj, GLOBAL_FIELDS[param.name], value)
    return value


def _copy_for_command(option: Any) -> Any:
    clone = copy.copy(option)
    clone.expose_value = False  # the command functions never see it; the context does
    clone.callback = _store
    return clone


def _all_commands(commands: Iterable[Any]) -> Iterable[Any]:
    for command in commands:
        yield command
        if hasattr(command, "commands"):  # a sub-group: `registry`, `config`
            yield from _all_commands(command.commands.values())


def summary(help_text: str) -> str:
    """A command's whole first paragraph on one line: `--help` wraps it instead of cutting it
    at Click's width ("Create or converge the cluster and registry (validate,...")."""
    return " ".join(help_text.split("\n\n", 1)[0].split())


class GlobalOptionsGroup(TyperGroup):
    """The root group: hands its global options down to every command and sub-group, and gives
    every command its full summary in the command lists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shared = [p for p in self.params if p.name in GLOBAL_FIELDS]
        for command in _all_commands(self.commands.values()):
            if command.help and not command.short_help:
                command.short_help = summary(command.help)
            taken = {opt for p in command.params for opt in getattr(p, "opts", [])}
            command.params.extend(
                _copy_for_command(p) for p in shared if not taken.intersection(getattr(p, "opts", []))
            )
