"""A registry:3 pull-through mirror (distribution v3.0.0 built from Go modules), for real.

One walk, file order: the mirror is started from the program's own Container inputs (image
registry:3, ttl, maxSize, the short DNS wait), a stand-in node gets the program's hosts.toml, and
two images are pushed to a stand-in upstream on the kind network. Then:
- the cold pulls take each blob from the upstream ONCE (distribution 2.8 took it twice);
- with the upstream stopped, cached images still pull (the DNS wait is bounded, the cache answers);
- `registry du` shows both repositories of the mirror; `registry prune --only MIRROR` enforces the
  configured maxSize by removing the least recently used image, and what stays still pulls offline.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.mirrors import mirror_blobs, mirror_program, run_mirror, start_upstream
from harness.names import unique_name
from harness.registry import inspect, remove_container, remove_volume
from harness.shell import run_program_command, standin_env

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
LAYER = 300_000
_BLOB_GET = re.compile(r'"GET /v2/library/\S+/blobs/(sha256:[0-9a-f]{64}) HTTP/[0-9.]+" 200')


def kindplane(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = standin_env(
        {**os.environ, "PYTHONPATH": str(ROOT), "KINDPLANE_HOME": str(config.parent / "home"), "NO_COLOR": "1"}
    )
    return subprocess.run(
        [sys.executable, "-m", "kindplane", "-c", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def random_image(tag: str, size: int) -> str:
    import io
    import tarfile

    data = os.urandom(size)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("payload")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    docker("import", "-", tag, input=buffer.getvalue())
    return tag


def test_a_v3_mirror_fetches_once_serves_offline_and_keeps_to_its_max_size(
    registry_v3_image, node_image, kind_network, tmp_path
):
    name, mirror = unique_name("kpt"), unique_name("kpt-mirror")
    upstream = start_upstream(unique_name("kpt-up"))
    local = [random_image(f"{unique_name('kpt-img')}:v1", LAYER) for _ in range(2)]
    text = (
        f"cluster:\n  name: {name}\n  nodes: {{controlPlane: 1, workers: 0}}\n  mirrors:\n"
        f"    - {{remote: '{upstream.url}', host: docker.io, name: {mirror}, image: 'registry:3', "
        f"ttl: 7d, maxSize: {int(LAYER * 1.5)}}}\n"
    )
    config = tmp_path / "kindplane.yaml"
    config.write_text(text)
    program = mirror_program(text)
    try:
        for number, image in enumerate(local):
            upstream.push(image, f"library/img{number}:v1")
        assert run_program_command(program.kind, "create").returncode == 0
        run_mirror(program.containers[mirror], image="registry:3")
        for cmd in program.hosts_toml.values():
            assert run_program_command(cmd).returncode == 0
        (node,) = StandinCluster(name).containerd_nodes()
        attrs = inspect(mirror)
        assert "REGISTRY_PROXY_TTL=604800s" in attrs["Config"]["Env"]
        assert attrs["HostConfig"]["DnsOptions"] == ["timeout:1", "attempts:1"]

        # Cold: every blob crosses from the upstream once.
        since = datetime.now(timezone.utc).isoformat()
        for number in (0, 1):
            fetched = StandinCluster(name).ctr_fetch(node, f"docker.io/library/img{number}:v1")
            assert fetched.returncode == 0, fetched.stderr
            time.sleep(1.1)  # the mirror's tag links are written a second apart: img0 is older
        logs = docker("logs", "--since", since, upstream.name)
        gets = _BLOB_GET.findall(logs.stdout + logs.stderr)
        assert sorted(gets) == sorted(set(gets)) and len(gets) == 4  # 2 images x (layer + config), once each
        assert set(gets) <= mirror_blobs(mirror)

        # Offline: the cache answers (the upstream's name no longer resolves).
        upstream.stop()
        docker("exec", node, "sh", "-c", "ctr content ls -q | xargs -r ctr content rm")
        offline = StandinCluster(name).ctr_fetch(node, "docker.io/library/img1:v1")
        assert offline.returncode == 0, offline.stderr

        du = kindplane(config, "registry", "du", "-o", "json")
        assert du.returncode == 0, du.stderr
        (store,) = json.loads(du.stdout)["stores"]
        assert (store["role"], store["name"], store["maxSize"]) == ("mirror", mirror, int(LAYER * 1.5))
        assert store["version"] == "v3.0.0"
        assert sorted(r["name"] for r in store["repositories"]) == ["library/img0", "library/img1"]
        assert store["referenced"] > 2 * LAYER

        # maxSize: the least recently used image (img0) goes; no cluster API answers here, hence --force.
        pruned = kindplane(config, "registry", "prune", "--only", mirror, "--force", "-o", "json")
        assert pruned.returncode == 0, pruned.stderr
        (result,) = json.loads(pruned.stdout)["stores"]
        assert [(r["repository"], r["tags"]) for r in result["removals"]] == [("library/img0", ["v1"])]
        assert result["reclaimed"] >= LAYER and result["sizeAfter"] <= int(LAYER * 1.5)
        docker("exec", node, "sh", "-c", "ctr content ls -q | xargs -r ctr content rm")
        assert StandinCluster(name).ctr_fetch(node, "docker.io/library/img1:v1").returncode == 0
        assert StandinCluster(name).ctr_fetch(node, "docker.io/library/img0:v1").returncode != 0  # gone, and offline
    finally:
        run_program_command(program.kind, "delete")
        remove_container(mirror)
        remove_volume(f"{mirror}-data")
        upstream.remove()
        docker("rmi", *local, check=False)
