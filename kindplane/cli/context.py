"""Options shared by every command (-c/-s/--backend/-v), kept on Typer's context object."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from ..core.config_file import DEFAULT_FILE

if TYPE_CHECKING:
    from ..core.config import KindplaneConfig
    from .engine import Engine, EngineFactory
    from .workspace import StackTarget

EXIT_FAILED = 1  # something is wrong with the environment (Docker down, check failed, …)
EXIT_USAGE = 2  # bad arguments or an invalid kindplane.yaml
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def default_backend() -> str:
    """PULUMI_BACKEND_URL wins; otherwise a file backend under ~/.kindplane (no Pulumi login)."""
    from ..ops.tools import kindplane_home

    return os.environ.get("PULUMI_BACKEND_URL") or (kindplane_home() / "state").as_uri()


@dataclass
class CliContext:
    config_path: Path = Path(DEFAULT_FILE)
    stack: Optional[str] = None
    backend: Optional[str] = None
    verbose: bool = False
    # Seams for tests: the engine behind up/down/preview, and whether a person can answer prompts.
    engine_factory: Optional["EngineFactory"] = None
    interactive: Optional[bool] = None
    _target: Optional["StackTarget"] = None

    def load(self) -> KindplaneConfig:
        """Raises ConfigError; commands turn it into exit code 2 with every problem listed."""
        from ..core.config import load_config

        return load_config(self.config_path)

    def target(self) -> "StackTarget":
        """Project, stack and backend of the config file; WorkspaceError when ambiguous."""
        from ..ops.tools import kindplane_home
        from .workspace import resolve

        if self._target is None:
            self._target = resolve(self.config_path, self.stack, self.backend, kindplane_home(), default_backend())
        return self._target

    def engine(self) -> "Engine":
        from .engine import pulumi_engine

        return (self.engine_factory or pulumi_engine)(self.target())

    def can_prompt(self) -> bool:
        return sys.stdin.isatty() if self.interactive is None else self.interactive


def kindplane_argv(cli: CliContext) -> list[str]:
    """How fixes spell our own command, with the options this run was given."""
    argv = ["kindplane"]
    if Path(cli.config_path) != Path(DEFAULT_FILE):
        argv += ["-c", str(cli.config_path)]
    if cli.stack:
        argv += ["-s", cli.stack]
    return argv


def cli_of(ctx: Any) -> CliContext:
    """The run's options: app.py's callback puts them on Typer's context; a sub-app invoked on its
    own (tests, `typer.testing`) gets the defaults."""
    obj = getattr(ctx, "obj", None)
    return obj if isinstance(obj, CliContext) else CliContext()
