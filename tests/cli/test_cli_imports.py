"""The everyday commands must not pay for importing Pulumi, the providers, docker or httpx."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pulumi", "pulumi_docker", "pulumi_command", "pulumi_kubernetes", "docker", "httpx")
REPO = Path(__file__).resolve().parents[2]

# Runs the real console-script entry point, then reports which heavy modules got imported.
PROBE = """
import json, sys
from kindplane.cli import main
args, heavy_names = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["kindplane"] + args
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & heavy_names)
sys.__stderr__.write("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


def probe(args: list[str], cwd: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    line = [item for item in result.stderr.splitlines() if item.startswith("PROBE ")]
    assert line, result.stderr
    return json.loads(line[-1][len("PROBE ") :])


@pytest.mark.parametrize("args", [["--help"], ["validate"], ["config", "kind"], ["up", "--help"]])
def test_fast_commands_do_not_import_heavy_modules(args, tmp_path):
    (tmp_path / "kindplane.yaml").write_text("cluster:\n  name: fast\n  registry: {enabled: true}\n")
    found = probe(args, tmp_path)
    assert found["code"] == 0
    assert found["heavy"] == []


def test_the_probe_does_see_heavy_imports(tmp_path):
    """Guards the test above: `status` needs docker and httpx, and the probe must notice."""
    (tmp_path / "kindplane.yaml").write_text("cluster:\n  name: fast\n")
    found = probe(["status"], tmp_path)
    assert "docker" in found["heavy"]
