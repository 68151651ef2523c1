"""Console output: results on stdout, problems on stderr, never Rich markup from user data."""
from __future__ import annotations

from typing import Iterable, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from ..errors import ConfigError
from .context import EXIT_FAILED, EXIT_USAGE

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str, style: str = "") -> None:
    out.print(Text(message, style=style))


def warn(message: str) -> None:
    err.print(Text(message, style="yellow"))


def fail(problems: Iterable[str] | str, code: int = EXIT_FAILED) -> NoReturn:
    """Prints each problem on its own line (stderr) and exits with `code`."""
    for line in [problems] if isinstance(problems, str) else problems:
        err.print(Text(f"error: {line}", style="red"))
    raise typer.Exit(code)


def config_failed(exc: ConfigError) -> NoReturn:
    fail([str(p) for p in exc.problems], EXIT_USAGE)
