"""registry:3 under the real engine: a persistent local registry and a persistent mirror, both on
distribution v3.0.0 (the harness's build of `registry:3`), through one `kindplane up` → push →
`down` → `up` cycle. Both are kept, adopted (same container IDs), still serve what they held, and
`pulumi preview` sees no change; the mirror keeps its ttl and its short DNS wait. The second `up`
runs with the upstream stopped and the mirror over its maxSize: it removes the least recently used
image, the mirror restarts offline (serving its cache alone) and the new node still pulls the rest.
"""

from __future__ import annotations

import json
import os
import time

from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.engine import container_id, volume_exists
from harness.fixtures import push_to
from harness.images import one_file_layer
from harness.mirrors import start_upstream
from harness.names import unique_name
from harness.registry import inspect, registry_get, remove_container, remove_volume


def test_registry_3_persistent_registry_and_mirror_survive_down_and_up(new_project, app_image, registry_v3_image):
    project = new_project(persistent=True, workers=0)
    mirror = unique_name("kpe-mirror")
    upstream = start_upstream(unique_name("kpe-up"))
    kp = lambda *args, **kw: project.kindplane("-c", str(project.config_path), *args, **kw)  # noqa: E731
    big = f"{unique_name('kpe-big')}:v1"
    docker("import", "-", big, input=one_file_layer(os.urandom(300_000)))
    try:
        upstream.push(app_image, "library/kpe-hello:v1")
        upstream.push(big, "library/kpe-big:v1")
        project.write_config(
            f"cluster:\n  name: {project.cluster}\n  nodes: {{controlPlane: 1, workers: 0}}\n"
            f"  registry: {{enabled: true, name: {project.registry}, port: {project.port}, persistent: true, "
            f"image: 'registry:3'}}\n"
            f"  mirrors:\n    - {{remote: '{upstream.url}', host: docker.io, name: {mirror}, image: 'registry:3', "
            f"ttl: 30d, maxSize: 200kB}}\n"
        )
        kp("up")
        v3 = inspect("registry:3")["Id"]
        assert inspect(project.registry)["Image"] == v3 and inspect(mirror)["Image"] == v3
        assert "REGISTRY_PROXY_TTL=2592000s" in inspect(mirror)["Config"]["Env"]
        assert inspect(mirror)["HostConfig"]["DnsOptions"] == ["timeout:1", "attempts:1"]
        registry_id, mirror_id = container_id(project.registry), container_id(mirror)
        push_to(f"localhost:{project.port}", app_image, "kept/app:v1")
        (node,) = StandinCluster(project.cluster).containerd_nodes()
        for ref in ("docker.io/library/kpe-big:v1", "docker.io/library/kpe-hello:v1"):  # big is used first
            assert StandinCluster(project.cluster).ctr_fetch(node, ref).returncode == 0
            time.sleep(1.1)

        kp("down", "--force")
        assert (container_id(project.registry), container_id(mirror)) == (registry_id, mirror_id)
        assert volume_exists(f"{project.registry}-data") and volume_exists(f"{mirror}-data")

        upstream.stop()
        up = kp("up")
        assert f"Mirror {mirror} was over maxSize 200.0 kB: removed 1 least recently used image(s)" in up.stdout
        # taken back: new containers of the same names on the kept volumes, still on registry:3
        assert inspect(project.registry)["Image"] == v3 and inspect(mirror)["Image"] == v3
        assert {m["Name"] for m in inspect(project.registry)["Mounts"]} == {f"{project.registry}-data"}
        assert {m["Name"] for m in inspect(mirror)["Mounts"]} == {f"{mirror}-data"}
        assert registry_get(project.port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]
        (node,) = StandinCluster(project.cluster).containerd_nodes()  # a new node: only the caches can serve
        for ref in ("docker.io/library/kpe-hello:v1", f"localhost:{project.port}/kept/app:v1"):
            fetched = StandinCluster(project.cluster).ctr_fetch(node, ref)
            assert fetched.returncode == 0, (ref, fetched.stderr)
        assert StandinCluster(project.cluster).ctr_fetch(node, "docker.io/library/kpe-big:v1").returncode != 0
        project.pulumi("preview", "--expect-no-changes")
        du = json.loads(kp("registry", "du", "-o", "json").stdout)
        assert {s["name"]: s["version"] for s in du["stores"]} == {project.registry: "v3.0.0", mirror: "v3.0.0"}
        cache = next(s for s in du["stores"] if s["name"] == mirror)
        assert [r["name"] for r in cache["repositories"] if r["tags"]] == ["library/kpe-hello"]
    finally:
        kp("down", "--force", check=False)
        remove_container(mirror)
        docker("rmi", big, check=False)
        remove_volume(f"{mirror}-data")
        upstream.remove()
