"""`-o json|yaml`: the same data as the text view, for scripts. Keys are documented in docs/cli.md."""

from __future__ import annotations

import enum
import json
from typing import Any

import typer


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    yaml = "yaml"


def output_option() -> Any:
    return typer.Option(Format.text, "-o", "--output", help="Output format: text, json or yaml.", case_sensitive=False)


def json_alias_option() -> Any:
    """`--json`, the older spelling of `-o json` (registry and doctor): hidden, kept for one release."""
    return typer.Option(False, "--json", hidden=True)


def chosen_format(output: Format, as_json: bool) -> Format:
    return Format.json if as_json else output


def emit(data: Any, fmt: Format) -> None:
    """Prints `data` to stdout as JSON or YAML (never anything else on stdout)."""
    if fmt is Format.json:
        typer.echo(json.dumps(data, indent=2))
    else:
        import yaml

        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
