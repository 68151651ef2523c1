"""This year's kind: `kindplane setup` installs the release the toolchain builds, and the node
image table agrees with kind's own modules.

Each row whose source is a kind module is checked against `pkg/apis/config/defaults/image.go` of
that release (sigs.k8s.io/kind in the Go module cache, fetched by build_kind.sh: nothing is
downloaded here); the installed release's default image must be kindplane's newest row.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kindplane.core.node_images import node_image_table
from kindplane.ops.setup_tools import kind_asset
from kindplane.ops.tools import KIND_VERSION

REPO = Path(__file__).resolve().parents[2]


def kind_module(release: str) -> Path:
    found = subprocess.run(
        ["go", "mod", "download", "-json", f"sigs.k8s.io/kind@{release}"],
        capture_output=True,
        text=True,
        env={**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod"},
        cwd="/",
    )
    assert found.returncode == 0, f"sigs.k8s.io/kind@{release} is not in the Go module cache: {found.stdout}"
    return Path(json.loads(found.stdout)["Dir"])


def kinds_default_image(release: str) -> str:
    source = (kind_module(release) / "pkg/apis/config/defaults/image.go").read_text()
    [image] = re.findall(r'const Image = "([^"]+)"', source)
    return image


def test_the_tables_default_is_kinds_own_default_at_the_installed_release(kind_bin):
    table = node_image_table()
    assert table.default.image == kinds_default_image(KIND_VERSION)
    assert table.default.kind_release == KIND_VERSION


@pytest.mark.parametrize(
    "minor",
    [m for m, row in node_image_table().rows.items() if row.source.startswith("sigs.k8s.io/kind@")],
)
def test_every_row_taken_from_a_kind_module_is_that_releases_default_image(kind_bin, minor):
    row = node_image_table().rows[minor]
    assert row.source.startswith(f"sigs.k8s.io/kind@{row.kind_release} pkg/apis/config/defaults/image.go")
    assert row.image == kinds_default_image(row.kind_release)


def test_kindplane_setup_installs_the_current_kind_release_from_a_release_server(kind_bin, tmp_path):
    # A local file server laid out like kind's release downloads: /<version>/<asset>(.sha256sum),
    # serving the kind binary the toolchain built from sigs.k8s.io/kind at KIND_VERSION.
    served = tmp_path / "releases" / KIND_VERSION
    served.mkdir(parents=True)
    binary = (kind_bin / "kind").read_bytes()
    (served / kind_asset()).write_bytes(binary)
    (served / f"{kind_asset()}.sha256sum").write_text(f"{hashlib.sha256(binary).hexdigest()}  {kind_asset()}\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "releases"))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = tmp_path / "kp-home"
    pulumi = home / "pulumi" / "bin" / "pulumi"  # present: setup only installs kind here
    pulumi.parent.mkdir(parents=True)
    pulumi.write_text("#!/bin/sh\necho v3.274.1\n")
    pulumi.chmod(0o755)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kindplane", "setup"],
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": str(REPO),
                "KINDPLANE_HOME": str(home),
                "KINDPLANE_KIND_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}",
                "PATH": "/usr/bin:/bin",  # no kind on PATH
            },
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stdout + done.stderr
    installed = home / "bin" / "kind"
    assert f"installed kind {KIND_VERSION} at {installed} (SHA-256 {hashlib.sha256(binary).hexdigest()} verified)" in (
        " ".join(done.stdout.split())
    )
    version = subprocess.run([str(installed), "version"], capture_output=True, text=True).stdout
    assert version.startswith(f"kind {KIND_VERSION} ")
