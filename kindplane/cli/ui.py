"""Console output: results on stdout, problems on stderr, never Rich markup from user data."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, NoReturn

import typer

from .context import EXIT_FAILED, EXIT_USAGE

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from ..core.config import ClusterConfig
    from ..core.errors import ConfigError

    out: Console
    err: Console


@lru_cache(maxsize=None)
def _console(stderr: bool) -> "Console":
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def __getattr__(name: str) -> Any:
    """`ui.out`, `ui.err` and `ui.Text` load Rich on first use: `--help` never needs it."""
    if name in ("out", "err"):
        return _console(stderr=name == "err")
    if name == "Text":
        from rich.text import Text

        return Text
    raise AttributeError(name)


def say(message: str, style: str = "") -> None:
    from rich.text import Text

    _console(False).print(Text(message, style=style))


def warn(message: str) -> None:
    from rich.text import Text

    _console(True).print(Text(message, style="yellow"))


def fail(problems: Iterable[str] | str, code: int = EXIT_FAILED) -> NoReturn:
    """Prints each problem on its own line (stderr) and exits with `code`."""
    from rich.text import Text

    for line in [problems] if isinstance(problems, str) else problems:
        _console(True).print(Text(f"error: {line}", style="red"))
    raise typer.Exit(code)


def config_warnings(file: object, cluster: "ClusterConfig") -> None:
    """One `warning:` line (stderr) per setting kindplane overrides or cannot vouch for."""
    from ..core.config_warnings import config_warnings as found

    for warning in found(cluster):
        warn(f"warning: {file}: {warning}")


def config_failed(exc: ConfigError) -> NoReturn:
    fail([str(p) for p in exc.problems], EXIT_USAGE)
