"""Console output: results on stdout, problems on stderr, never Rich markup from user data."""

from __future__ import annotations

import contextlib
import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NoReturn

import typer

from .context import EXIT_FAILED, EXIT_USAGE

if TYPE_CHECKING:
    from rich.console import Console

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
        return _console(name == "err")  # positional, as everywhere: lru_cache keys on the call form
    if name == "Text":
        from rich.text import Text

        return Text
    raise AttributeError(name)


# Plain lines go through Click (already loaded with Typer), not Rich: `validate` and `config kind`
# print a line or two and would pay Rich's ~30 ms import for it. Click prints text as it is (no
# markup to escape) and drops the colour when the stream is not a terminal.
_STYLES: dict[str, dict[str, Any]] = {
    "green": {"fg": "green"},
    "yellow": {"fg": "yellow"},
    "red": {"fg": "red"},
    "cyan": {"fg": "cyan"},
    "bold": {"bold": True},
    "dim": {"dim": True},
}
_stdout_is_stderr = False  # messages_to_stderr: with -o json|yaml stdout carries the document only


def _line(message: str, style: str, err: bool) -> None:
    colour = False if os.environ.get("NO_COLOR") else None  # None: Click decides by the stream
    typer.secho(message, err=err or _stdout_is_stderr, color=colour, **_STYLES.get(style, {}))


def say(message: str, style: str = "") -> None:
    _line(message, style, err=False)


def warn(message: str) -> None:
    _line(message, "yellow", err=True)


def fail(problems: Iterable[str] | str, code: int = EXIT_FAILED) -> NoReturn:
    """Prints each problem on its own line (stderr) and exits with `code`."""
    for line in [problems] if isinstance(problems, str) else problems:
        _line(f"error: {line}", "red", err=True)
    raise typer.Exit(code)


def confirm(question: str) -> bool:
    """A yes/no question, default no; asked on stderr while stdout carries a document (-o json)."""
    return typer.confirm(question, default=False, err=_console(False).file is sys.stderr)


def config_warnings(file: object, cluster: "ClusterConfig") -> None:
    """One `warning:` line (stderr) per setting kindplane overrides or cannot vouch for."""
    from ..core.render.all_warnings import all_warnings as found

    for warning in found(cluster):
        warn(f"warning: {file}: {warning}")


def config_failed(exc: ConfigError) -> NoReturn:
    fail([str(p) for p in exc.problems], EXIT_USAGE)


@contextlib.contextmanager
def messages_to_stderr(enabled: bool = True) -> Iterator[None]:
    """With `-o json|yaml`, stdout carries the document only: progress and notes go to stderr."""
    global _stdout_is_stderr
    if not enabled:
        yield
        return
    console = _console(False)
    # Rich's `file` property resolves sys.stdout at each print unless a file was set; restoring
    # the raw attribute keeps that (test runners swap sys.stdout between commands).
    saved = console._file
    console.file = sys.stderr
    _stdout_is_stderr = True
    try:
        yield
    finally:
        console._file = saved
        _stdout_is_stderr = False
