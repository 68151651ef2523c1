"""kindplane installed without pip (`uv tool install`, a venv made --without-pip) runs `up`.

Pulumi's Python host lists the program's packages with `python -m pip list` on the interpreter
kindplane names; the harness's host does the same (tests/harness/toolchain/pulumi), so without
kindplane handing it a pip this `up` stops with "failed to discover package requirements".
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

from harness.engine import REPO


def pipless_venv(tmp_path: Path) -> Path:
    """A venv made --without-pip that sees this interpreter's packages, pip excepted."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    farm = tmp_path / "packages"
    farm.mkdir()
    for outer in site.getsitepackages():
        for entry in Path(outer).iterdir():
            name = entry.name
            if name == "pip" or name.startswith(("pip-", "__editable__", "__pycache__")) or name.endswith(".pth"):
                continue
            if not (farm / name).exists():
                (farm / name).symlink_to(entry)
    (next((venv / "lib").glob("python3*")) / "site-packages" / "outer.pth").write_text(f"{farm}\n")
    python = venv / "bin" / "python"
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}
    assert subprocess.run([str(python), "-c", "import pip"], env=env, capture_output=True).returncode == 1
    assert subprocess.run([str(python), "-c", "import kindplane.program, pulumi_docker"], env=env).returncode == 0
    return python


def test_up_and_down_from_a_venv_made_without_pip(new_project, tmp_path):
    python = pipless_venv(tmp_path)
    project = new_project(workers=0)
    config = str(project.config_path)
    env = project.env(PULUMI_PYTHON_CMD="")  # as a user's shell: kindplane names its own interpreter
    up = project.run([str(python), "-m", "kindplane", "-c", config, "up"], env=env)
    assert f"Cluster   {project.cluster} (kubectl context kind-{project.cluster})" in up.stdout
    assert project.outputs()["clusterName"] == project.cluster
    project.run([str(python), "-m", "kindplane", "-c", config, "down", "--force"], env=env)
    assert project.managed_resources() == []
