"""`kindplane setup --from` with the real Pulumi CLI: its release archive unpacked and run, and a
provider plugin put into an empty plugin cache by `pulumi plugin install --file`, with no network.

The files are laid out as their releases publish them, made from the test toolchain's own builds
(the CLI, and the command plugin from its plugin cache; the other two plugins go the same way).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from harness.engine import REPO, require_engine
from harness.shell import BIN_DIR

from kindplane.ops.setup_offline import plugin_versions, pulumi_asset, this_platform
from kindplane.ops.setup_tools import kind_asset
from kindplane.ops.tools import KIND_VERSION, PULUMI_VERSION


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def carried(folder: Path) -> dict[str, Path]:
    """kind (the harness's stand-in), the Pulumi CLI archive and the command plugin's, with the
    checksum files kind's and Pulumi's releases publish."""
    here = this_platform()
    folder.mkdir()
    kind = folder / kind_asset()
    kind.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(BIN_DIR / "kind"))} "$@"\n')
    (folder / f"{kind.name}.sha256sum").write_text(f"{sha256(kind)}  {kind.name}\n")
    cli = folder / pulumi_asset(PULUMI_VERSION, here)
    with tarfile.open(cli, "w:gz", compresslevel=1) as archive:
        for file in sorted(Path(shutil.which("pulumi") or "").resolve().parent.iterdir()):
            archive.add(file, arcname=f"pulumi/{file.name}")
    (folder / f"pulumi-{PULUMI_VERSION}-checksums.txt").write_text(f"{sha256(cli)}  {cli.name}\n")
    version = plugin_versions()["command"]
    built = Path(os.environ["PULUMI_HOME"]) / "plugins" / f"resource-command-v{version}" / "pulumi-resource-command"
    plugin = folder / f"pulumi-resource-command-v{version}-{here.os}-{here.arch}.tar.gz"
    with tarfile.open(plugin, "w:gz", compresslevel=1) as archive:
        archive.add(built, arcname=built.name)
    return {"kind": kind, "cli": cli, "plugin": plugin}


def test_setup_from_carried_release_files_installs_the_real_pulumi_and_a_plugin_offline(tmp_path):
    require_engine()
    files = carried(tmp_path / "usb")
    home, plugins = tmp_path / "home", tmp_path / "pulumi-home"
    # No kind or pulumi on PATH, an empty plugin cache, no way to download anything.
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not any(Path(d, t).exists() for t in ("kind", "pulumi"))]
    env = {
        **os.environ,
        "PATH": os.pathsep.join(path),
        "KINDPLANE_HOME": str(home),
        "PULUMI_HOME": str(plugins),
        "PYTHONPATH": str(REPO),
        "KINDPLANE_KIND_BASE_URL": "http://127.0.0.1:9/",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "kindplane", "setup", "--from", str(files["kind"].parent)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    pulumi = home / "pulumi" / "bin" / "pulumi"
    version = plugin_versions()["command"]
    assert result.stdout.splitlines() == [
        f"installed kind {KIND_VERSION} at {home / 'bin' / 'kind'} from {files['kind']} (SHA-256 "
        f"{sha256(files['kind'])} verified against {files['kind'].name}.sha256sum)",
        f"installed Pulumi CLI {PULUMI_VERSION} at {pulumi} from {files['cli']} (SHA-256 {sha256(files['cli'])} "
        f"verified against pulumi-{PULUMI_VERSION}-checksums.txt)",
        f"installed Pulumi plugin command {version} from {files['plugin']} (name and version checked)",
        "Ready: Docker is the only other prerequisite. Next: `kindplane up`",
    ]
    run = {"capture_output": True, "text": True, "env": env, "timeout": 120}
    assert subprocess.run([str(pulumi), "version"], **run).stdout.strip() == f"v{PULUMI_VERSION}"
    listed = json.loads(subprocess.run([str(pulumi), "plugin", "ls", "--json"], **run).stdout)
    assert [(p["name"], p["kind"], p["version"]) for p in listed] == [("command", "resource", version)]
    assert (home / "pulumi" / "bin" / "pulumi-language-python").is_file()  # the host that runs the program
