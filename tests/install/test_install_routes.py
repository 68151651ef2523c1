"""kindplane installs the ways the README says, each into a clean virtualenv, and then runs.

The routes: the README's first command (`pip install -r requirements.txt`), `pip install .`,
`pipx install .`, `uv tool install .`, and a venv made --without-pip filled by `uv pip install`.
Each installed `kindplane` answers `--version` and validates the repository's kindplane.yaml, so
the declared floors (pydantic's above all) build a kindplane that reads its config.

Marked `engine`: like the engine tests they install and run the real thing and take minutes
(downloads from PyPI, wheels built), so CI runs them in its last phase; they share one copy of
the checkout (pip builds in it, leaving no build/ in the working tree) and so one worker.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kindplane

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
VERSION = f"kindplane {kindplane.__version__}"


def run(argv: list, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_USER")}
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{' '.join(map(str, argv))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def venv(path: Path, with_pip: bool = True) -> Path:
    run([sys.executable, "-m", "venv", *([] if with_pip else ["--without-pip"]), path])
    return path / "bin"


def works(kindplane_exe: Path, checkout: Path) -> None:
    """The installed command: its version, and a real config read (pydantic, yaml, the models)."""
    assert run([kindplane_exe, "--version"], cwd=checkout).stdout == f"{VERSION}\n"
    validated = run([kindplane_exe, "-c", checkout / "kindplane.yaml", "validate"], cwd=checkout)
    assert "is valid: cluster kindplane-dev, 1 node(s), registry kind-registry on localhost:5001" in validated.stdout


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """The files git would commit from this working tree (tracked, and new ones not ignored)."""
    listed = run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    copy = tmp_path_factory.mktemp("checkout")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


@pytest.fixture(scope="module")
def tools(tmp_path_factory) -> Path:
    """uv and pipx, from PyPI, in a virtualenv of their own."""
    bin_dir = venv(tmp_path_factory.mktemp("tools") / "venv")
    run([bin_dir / "python", "-m", "pip", "install", "-q", "uv", "pipx"])
    return bin_dir


def test_the_readmes_first_command_installs_a_working_kindplane(checkout, tmp_path):
    readme = (checkout / "README.md").read_text()
    first = re.search(r"## The two commands.*?```bash\n(.*?)\n```", readme, re.S).group(1)
    install = first.split("&&")[0].split()
    assert install == ["pip", "install", "-r", "requirements.txt"]
    bin_dir = venv(tmp_path / "venv")
    run([bin_dir / "python", "-m", *install], cwd=checkout)
    works(bin_dir / "kindplane", checkout)
    installed = run([bin_dir / "python", "-m", "pip", "list", "--format=freeze"]).stdout.lower()
    assert "pytest" not in installed and "ruff" not in installed  # the runtime file only


def test_pip_install_dot(checkout, tmp_path):
    bin_dir = venv(tmp_path / "venv")
    run([bin_dir / "python", "-m", "pip", "install", "-q", "."], cwd=checkout)
    works(bin_dir / "kindplane", checkout)
    version = run([bin_dir / "python", "-c", "import importlib.metadata as m; print(m.version('kindplane'))"])
    assert version.stdout.strip() == kindplane.__version__  # pyproject reads the one version


def test_pipx_install_dot(checkout, tools, tmp_path):
    env = {"PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}
    run([tools / "pipx", "install", "."], cwd=checkout, env=env)
    works(tmp_path / "bin" / "kindplane", checkout)


def test_uv_tool_install_dot(checkout, tools, tmp_path):
    env = {"UV_TOOL_DIR": str(tmp_path / "tools"), "UV_TOOL_BIN_DIR": str(tmp_path / "bin")}
    run([tools / "uv", "tool", "install", "."], cwd=checkout, env=env)
    works(tmp_path / "bin" / "kindplane", checkout)


def test_a_venv_without_pip_filled_by_uv(checkout, tools, tmp_path):
    bin_dir = venv(tmp_path / "venv", with_pip=False)
    run([tools / "uv", "pip", "install", "--python", bin_dir / "python", "."], cwd=checkout)
    assert subprocess.run([bin_dir / "python", "-c", "import pip"], capture_output=True).returncode == 1
    works(bin_dir / "kindplane", checkout)
