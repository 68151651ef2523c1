"""The steps every command that reaches the engine or Docker shares: load the config, check the
tools and Docker, resolve the stack, turn engine errors into plain lines, show progress."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator

import typer

from ..core.errors import ConfigError
from ..ops import preflight
from . import ui
from .context import EXIT_FAILED, EXIT_USAGE, CliContext
from .engine import Engine, EngineError
from .workspace import StackTarget

if TYPE_CHECKING:  # type hints only: pydantic and Rich's live display are slow to import
    from ..core.config import KindplaneConfig
    from .progress import Progress


def load(cli: CliContext) -> KindplaneConfig:
    try:
        return cli.load()
    except ConfigError as exc:
        ui.config_failed(exc)


def require_credentials(cli: CliContext, config: KindplaneConfig) -> None:
    """The variables mirrors, cluster.registries and registry.auth name must be set before Pulumi
    starts: the program would refuse too, but only after the engine has started, under an
    "unhandled error" line."""
    import os

    from ..core.credentials import local_registry_credentials, mirror_credentials, registry_credentials
    from ..core.errors import ConfigProblem

    problems: list[ConfigProblem] = []
    for read in (mirror_credentials, registry_credentials, local_registry_credentials):
        try:
            read(config.cluster, os.environ, str(cli.config_path))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        ui.config_failed(ConfigError(problems))


def require_tools(cli: CliContext, need_kind: bool = True) -> None:
    """Missing kind/Pulumi: offer `kindplane setup` on a terminal, else one line each and exit 1."""
    problems = preflight.missing_tools(need_kind=need_kind)
    if problems and cli.can_prompt():
        for line in problems:
            ui.warn(line)
        if typer.confirm("Install the missing tools now (kindplane setup)?", default=True):
            from .setup_cmd import run_setup

            problems = run_setup() or preflight.missing_tools(need_kind=need_kind)
    if problems:
        ui.fail(problems, EXIT_FAILED)
    too_old = preflight.pulumi_version_problem() or preflight.python_problem()
    if too_old:
        ui.fail(too_old, EXIT_FAILED)


def require_kind_release(config: KindplaneConfig) -> None:
    """Before creating: refuse a kind too old to drive; warn (with the fix) when the pinned node
    image was built for another kind release than the kind on PATH."""
    problem = preflight.kind_version_problem()
    if problem:
        ui.fail(problem, EXIT_FAILED)
    mismatch = preflight.node_image_release_warning(config.cluster)
    if mismatch:
        ui.warn(f"warning: {mismatch}")


def docker(cli: CliContext) -> Any:
    try:
        return preflight.connect_docker()
    except preflight.PreflightFailed as exc:
        ui.fail(exc.problems, EXIT_FAILED)


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    """EngineError subclasses already carry plain words (lock held, program refused, …)."""
    try:
        yield
    except EngineError as exc:
        ui.fail(str(exc).splitlines() or [exc.__class__.__name__], EXIT_FAILED)


def progress(cli: CliContext, title: str) -> Progress:
    from .progress import Progress

    return Progress(ui.out, title, everything=cli.verbose)


def target(cli: CliContext) -> StackTarget:
    from .workspace import WorkspaceError

    try:
        found = cli.target()
    except WorkspaceError as exc:
        ui.fail(str(exc), EXIT_USAGE)
    if found.note:
        ui.warn(f"note: {found.note}")
    return found


def require_stack(engine: Engine) -> None:
    """down/preview never create a stack: a wrong -s must not print "Destroyed"."""
    with engine_errors():
        if not engine.exists():
            engine.outputs()  # raises NoSuchStack with the full explanation
