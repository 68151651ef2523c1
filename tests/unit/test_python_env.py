"""An install without pip still runs `up`: the language host gets the pip the interpreter bundles
(kindplane.ops.python_env); with none bundled, preflight names the one command that installs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kindplane.ops import python_env

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipless_venv(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("pipless") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


def in_venv(python: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **env},
    )


def test_a_venv_made_without_pip_has_none_but_its_interpreter_bundles_one(pipless_venv):
    assert in_venv(pipless_venv, "import pip").returncode == 1
    seen = in_venv(
        pipless_venv,
        "from kindplane.ops import python_env as p; import json; print(json.dumps("
        "[p.has_pip(), str(p.bundled_pip_wheel()), p.language_host_environment()]))",
    )
    assert seen.returncode == 0, seen.stderr
    has_pip, wheel, env = json.loads(seen.stdout)
    assert has_pip is False and wheel.endswith("-py3-none-any.whl") and Path(wheel).name.startswith("pip-")
    assert env == {"PYTHONPATH": os.pathsep.join([wheel, str(REPO)])}
    # What Pulumi's language host runs, with that environment: it works and lists the venv's packages.
    listed = subprocess.run(
        [str(pipless_venv), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout), list)
    without = subprocess.run(
        [str(pipless_venv), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert without.returncode == 1 and "No module named pip" in without.stderr


def test_an_interpreter_with_pip_needs_nothing():
    assert python_env.has_pip()  # the suite's own interpreter
    assert python_env.language_host_environment() == {}
    assert python_env.pip_problem() is None


def test_without_pip_and_without_a_bundled_wheel_preflight_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(python_env, "has_pip", lambda: False)
    monkeypatch.setattr(python_env, "bundled_pip_wheel", lambda: None)
    monkeypatch.setattr(python_env.sys, "executable", "/opt/kp tools/bin/python")
    monkeypatch.setattr(python_env.sys, "prefix", str(tmp_path))
    assert python_env.language_host_environment() == {}
    plain = python_env.pip_problem()
    assert plain == (
        "kindplane runs under /opt/kp tools/bin/python, which has no pip and bundles none; Pulumi's Python "
        "language host lists the program's packages with `python -m pip list`, so `up` would stop with "
        '"failed to discover package requirements": install pip there with '
        "`curl -fsSL https://bootstrap.pypa.io/get-pip.py | '/opt/kp tools/bin/python'`"
    )
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nimplementation = CPython\nuv = 0.9.2\n")
    assert python_env.pip_problem().endswith(
        "install pip there with `uv pip install --python '/opt/kp tools/bin/python' pip`"
    )
