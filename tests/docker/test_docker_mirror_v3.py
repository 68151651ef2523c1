"""A registry:3 pull-through mirror (distribution v3.0.0 built from Go modules), for real.

One walk, in order: the mirror is started from the program's own Container inputs (image
registry:3, ttl, maxSize, the short DNS wait), both stand-in nodes get the program's hosts.toml,
and two images are pushed to a stand-in upstream on the kind network. Then:
- `registry preload FILE` warms the mirror: the upstream sends each blob ONCE (distribution 2.8's
  proxy took each twice), an image the upstream lacks fails alone with exit 1, and a second
  preload fetches nothing (cached blobs are skipped: an interrupted preload resumes);
- with the upstream stopped, every node fetches both images from the cache;
- `registry du` shows both repositories of the mirror; `registry prune --only MIRROR` enforces the
  configured maxSize by removing the least recently used image; the restart that follows happens
  with the upstream down, and the mirror serves what stays from its cache alone;
- the upstream back, the mirror proxies again within a probe interval.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime, timezone

import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.images import one_file_layer
from harness.mirrors import mirror_blobs, mirror_program, run_mirror, start_upstream
from harness.names import unique_name
from harness.registry import inspect, remove_container, remove_volume, wait_for_registry
from harness.shell import kindplane, run_program_command

from kindplane.core.render.pull_through import MIRROR_MODE_FILE, MIRROR_PROBE_SECONDS

pytestmark = pytest.mark.docker

LAYER = 300_000
_BLOB_GET = re.compile(r'"GET /v2/library/\S+/blobs/(sha256:[0-9a-f]{64}) HTTP/[0-9.]+" 200')


def random_image(tag: str, size: int) -> str:
    docker("import", "-", tag, input=one_file_layer(os.urandom(size)))
    return tag


def test_a_v3_mirror_preloads_once_serves_offline_and_keeps_to_its_max_size(
    registry_v3_image, node_image, kind_network, tmp_path
):
    name, mirror = unique_name("kpt"), unique_name("kpt-mirror")
    upstream = start_upstream(unique_name("kpt-up"))
    local = [random_image(f"{unique_name('kpt-img')}:v1", LAYER) for _ in range(2)]
    text = (
        f"cluster:\n  name: {name}\n  nodes: {{controlPlane: 1, workers: 1}}\n  mirrors:\n"
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
        nodes = StandinCluster(name).containerd_nodes()
        assert len(nodes) == 2
        node = nodes[0]
        attrs = inspect(mirror)
        assert "REGISTRY_PROXY_TTL=604800s" in attrs["Config"]["Env"]
        assert attrs["HostConfig"]["DnsOptions"] == ["timeout:1", "attempts:1"]

        # preload: every blob crosses from the upstream once; the missing image fails alone
        listing = tmp_path / "images.txt"
        listing.write_text("# warm before the next cluster\nimg0:v1\ndocker.io/library/img1:v1\nmissing:v9\n")
        since = datetime.now(timezone.utc).isoformat()
        warmed = kindplane(config, "registry", "preload", str(listing), "-o", "json", home=config.parent / "home")
        assert warmed.returncode == 1, warmed.stderr
        report = {i["image"]: i for i in json.loads(warmed.stdout)["images"]}
        assert report["img0:v1"]["error"] is None and report["img0:v1"]["fetched"] > LAYER
        assert report["docker.io/library/img1:v1"]["store"] == mirror
        assert "404" in report["missing:v9"]["error"] and json.loads(warmed.stdout)["failed"] == 1
        logs = docker("logs", "--since", since, upstream.name)
        gets = _BLOB_GET.findall(logs.stdout + logs.stderr)
        assert sorted(gets) == sorted(set(gets)) and len(gets) == 4  # 2 images x (layer + config), once each
        assert set(gets) <= mirror_blobs(mirror)
        time.sleep(1.1)  # img1's tag is then resolved a second later than img0's: img0 is least recently used
        listing.write_text("img1:v1\n")
        again = kindplane(config, "registry", "preload", str(listing), "-o", "json", home=config.parent / "home")
        assert again.returncode == 0, again.stderr
        (item,) = json.loads(again.stdout)["images"]
        assert item["fetched"] == 0 and item["cached"] > LAYER

        # offline: every node fetches both images from the cache, once the mirror has seen the upstream
        # go (a pull in the moment it switches modes fails over to the upstream, which is gone)
        upstream.stop()
        deadline = time.monotonic() + 3 * MIRROR_PROBE_SECONDS
        while docker("exec", mirror, "cat", MIRROR_MODE_FILE).stdout.strip() != "cache":
            assert time.monotonic() < deadline, "the mirror did not notice the upstream is gone"
            time.sleep(0.5)
        for node in nodes:
            for number in (0, 1):
                fetched = StandinCluster(name).ctr_fetch(node, f"docker.io/library/img{number}:v1")
                state = docker("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", mirror).stdout
                if fetched.returncode != 0:
                    pytest.fail(f"{node} img{number}: {fetched.stderr}\nmirror: {state}", pytrace=False)

        du = kindplane(config, "registry", "du", "-o", "json", home=config.parent / "home")
        assert du.returncode == 0, du.stderr
        (store,) = json.loads(du.stdout)["stores"]
        assert (store["role"], store["name"], store["maxSize"]) == ("mirror", mirror, int(LAYER * 1.5))
        assert store["version"] == "v3.0.0"
        assert sorted(r["name"] for r in store["repositories"]) == ["library/img0", "library/img1"]
        assert store["referenced"] > 2 * LAYER

        # maxSize: the least recently used image (img0) goes; no cluster API answers here, hence --force.
        pruned = kindplane(
            config, "registry", "prune", "--only", mirror, "--force", "-o", "json", home=config.parent / "home"
        )
        assert pruned.returncode == 0, pruned.stderr
        (result,) = json.loads(pruned.stdout)["stores"]
        assert [(r["repository"], r["tags"]) for r in result["removals"]] == [("library/img0", ["v1"])]
        assert result["reclaimed"] >= LAYER and result["sizeAfter"] <= int(LAYER * 1.5)
        # prune restarted the mirror with the upstream down: distribution's proxy cannot start then
        # (it asks the upstream for /v2/ first), so kindplane's loop serves the cache alone
        assert docker("exec", mirror, "cat", MIRROR_MODE_FILE).stdout.strip() == "cache"
        docker("exec", node, "sh", "-c", "ctr content ls -q | xargs -r ctr content rm")
        assert StandinCluster(name).ctr_fetch(node, "docker.io/library/img1:v1").returncode == 0
        assert StandinCluster(name).ctr_fetch(node, "docker.io/library/img0:v1").returncode != 0  # gone, and offline

        # the upstream is back: within a probe interval the mirror proxies again, new images pull through
        docker("start", upstream.name)
        wait_for_registry(upstream.port)
        upstream.push(local[0], "library/img2:v1")
        deadline = time.monotonic() + 3 * MIRROR_PROBE_SECONDS
        while docker("exec", mirror, "cat", MIRROR_MODE_FILE).stdout.strip() != "proxy":
            assert time.monotonic() < deadline, "the mirror did not go back to proxy mode"
            time.sleep(1)
        fetched = StandinCluster(name).ctr_fetch(node, "docker.io/library/img2:v1")
        assert fetched.returncode == 0, fetched.stderr
    finally:
        run_program_command(program.kind, "delete")
        remove_container(mirror)
        remove_volume(f"{mirror}-data")
        upstream.remove()
        docker("rmi", *local, check=False)
