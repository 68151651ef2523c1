"""Console output: results on stdout, problems on stderr, never Rich markup from user data."""
from __future__ import annotations

import contextlib
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NoReturn

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
        return _console(name == "err")  # positional, as everywhere: lru_cache keys on the call form
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


def confirm(question: str) -> bool:
    """A yes/no question, default no; asked on stderr while stdout carries a document (-o json)."""
    return typer.confirm(question, default=False, err=_console(False).file is sys.stderr)


def config_warnings(file: object, cluster: "ClusterConfig") -> None:
    """One `warning:` line (stderr) per setting kindplane overrides or cannot vouch for."""
    from ..core.config_warnings import config_warnings as found

    for warning in found(cluster):
        warn(f"warning: {file}: {warning}")


def config_failed(exc: ConfigError) -> NoReturn:
    fail([str(p) for p in exc.problems], EXIT_USAGE)


@contextlib.contextmanager
def messages_to_stderr(enabled: bool = True) -> Iterator[None]:
    """With `-o json|yaml`, stdout carries the document only: progress and notes go to stderr."""
    console = _console(False)
    if not enabled:
        yield
        return
    # Rich's `file` property resolves sys.stdout at each print unless a file was set; restoring
    # the raw attribute keeps that (test runners swap sys.stdout between commands).
    saved = console._file
    console.file = sys.stderr
    try:
        yield
    finally:
        console._file = saved
