"""The Python the Pulumi language host runs kindplane's program with, and the pip it needs.

kindplane names its own interpreter (PULUMI_PYTHON_CMD) and the project's toolchain is `pip`
without a virtualenv, so Pulumi's Python host lists the program's packages with
`<interpreter> -m pip list --format json` before it runs anything. An install without pip
(`uv tool install kindplane`, `pipx` with a pip-less venv, `python -m venv --without-pip`) then
stops every `up` with "failed to discover package requirements". The other toolchain options do
not fit: `uv` and `poetry` read the project's lock file (a kindplane project has none), and a
`virtualenv` is listed with pip as well.

So kindplane hands the host the pip its interpreter already bundles: ensurepip's wheel, put on
PYTHONPATH (pip runs from its wheel; that is how ensurepip itself bootstraps). Only when the
interpreter bundles none does preflight refuse, with the one command that installs pip.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
import sysconfig
from pathlib import Path
from typing import Optional


def has_pip() -> bool:
    return importlib.util.find_spec("pip") is not None


def bundled_pip_wheel() -> Optional[Path]:
    """The pip wheel ensurepip would install: in the standard library, or where the distribution
    keeps it (Debian's WHEEL_PKG_DIR); None when the interpreter bundles none."""
    folders = []
    spec = importlib.util.find_spec("ensurepip")
    if spec is not None and spec.origin:
        folders.append(Path(spec.origin).parent / "_bundled")
    if sysconfig.get_config_var("WHEEL_PKG_DIR"):
        folders.append(Path(sysconfig.get_config_var("WHEEL_PKG_DIR")))
    wheels = sorted(w for folder in folders if folder.is_dir() for w in folder.glob("pip-*-py3-none-any.whl"))
    return wheels[-1] if wheels else None


def language_host_environment() -> dict[str, str]:
    """What the Pulumi CLI's environment needs so the language host can list packages."""
    if has_pip():
        return {}
    wheel = bundled_pip_wheel()
    if wheel is None:
        return {}  # pip_problem() refuses before the engine starts
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(wheel), os.environ.get("PYTHONPATH")]))}


def made_by_uv(prefix: Path) -> bool:
    """uv writes `uv = <version>` into the pyvenv.cfg of every environment it makes."""
    try:
        return any(line.split("=", 1)[0].strip() == "uv" for line in (prefix / "pyvenv.cfg").read_text().splitlines())
    except OSError:
        return False


def install_pip_command(python: str, uv_made: bool) -> str:
    if uv_made:
        return f"uv pip install --python {shlex.quote(python)} pip"
    return f"curl -fsSL https://bootstrap.pypa.io/get-pip.py | {shlex.quote(python)}"


def pip_problem() -> Optional[str]:
    """One line when the language host could not list the program's packages, else None."""
    if has_pip() or bundled_pip_wheel() is not None:
        return None
    return (
        f"kindplane runs under {sys.executable}, which has no pip and bundles none; Pulumi's Python language "
        f"host lists the program's packages with `python -m pip list`, so `up` would stop with \"failed to "
        f'discover package requirements": install pip there with '
        f"`{install_pip_command(sys.executable, made_by_uv(Path(sys.prefix)))}`"
    )
