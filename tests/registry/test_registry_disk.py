"""`kindplane registry du` and `prune` on real registries: v2 (Debian's docker-registry) and v3
(distribution v3.0.0 built from Go modules), each started from the program's own container inputs.

Per version: push three versions of an image (one random layer each, pushed a second apart) and a
second repository sharing a layer; `du` (bytes per repository, the shared layer once, against what
the registry API reports); `prune --keep 1 --dry-run` changes nothing; `prune --keep 1` removes the
two older tags, gc reclaims their layers (`du -sb` of the storage before and after), the kept tag
still pulls. The cluster of the config does not exist, so no pod can be using anything.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from harness.docker_env import docker
from harness.names import unique_name
from harness.shell import kindplane

from kindplane.ops.registry.http_api import RegistryClient

pytestmark = pytest.mark.docker

LAYER = 400_000  # random bytes: incompressible, so gc's reclaim must cover them


def on_disk(container: str) -> int:
    return int(docker("exec", container, "du", "-sb", "/var/lib/registry").stdout.split()[0])


def blob_bytes(client: RegistryClient, repository: str, tag: str) -> dict[str, int]:
    """What the API says a tag needs: config + layers (by digest) and the manifest itself."""
    manifest = client.manifest(repository, tag)
    body = httpx.get(
        f"http://{client.address}/v2/{repository}/manifests/{tag}", headers={"Accept": manifest.media_type}
    ).json()
    blobs = {b["digest"]: b["size"] for b in [body["config"], *body["layers"]]}
    blobs[manifest.digest] = len(
        httpx.get(
            f"http://{client.address}/v2/{repository}/manifests/{tag}", headers={"Accept": manifest.media_type}
        ).content
    )
    return blobs


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_du_then_prune_dry_run_then_prune_reclaims_the_old_tags(version, request, registry_factory, images, tmp_path):
    image = "registry:2" if version == "v2" else request.getfixturevalue("registry_v3_image")
    started = registry_factory(image=image)
    config = tmp_path / "kindplane.yaml"
    config.write_text(_config_text(started, image))
    home = tmp_path / "home"

    for n in (1, 2, 3):  # a second apart: prune ranks tags by when they were pushed
        images.push(images.make(f"{started.host}/app:v{n}", payload=f"v{n}".encode(), size=LAYER))
        time.sleep(1.1)
    images.push(images.tag(f"{started.host}/app:v3", f"{started.host}/team/copy:latest"))

    with RegistryClient(started.host) as client:
        needs = {tag: blob_bytes(client, "app", tag) for tag in ("v1", "v2", "v3")}
        copy = blob_bytes(client, "team/copy", "latest")

    du = kindplane(config, "registry", "du", "-o", "json", home=home)
    assert du.returncode == 0, du.stderr
    (store,) = json.loads(du.stdout)["stores"]
    assert (store["role"], store["name"]) == ("registry", started.name)
    assert store["version"].lstrip("v").startswith(version[1] + ".")  # read from the binary, not the tag
    repos = {r["name"]: r for r in store["repositories"]}
    app_bytes = sum({d: s for n in needs.values() for d, s in n.items()}.values())
    assert repos["app"]["size"] == app_bytes and (repos["app"]["tags"], repos["app"]["manifests"]) == (3, 3)
    assert repos["team/copy"]["size"] == sum(copy.values())
    assert repos["team/copy"]["shared"] == repos["team/copy"]["size"]  # same layers, config and manifest as app:v3
    assert store["referenced"] == app_bytes  # the shared blobs once
    assert store["onDisk"] >= store["total"] >= store["referenced"]

    dry = kindplane(config, "registry", "prune", "--keep", "1", "--dry-run", home=home)
    assert dry.returncode == 0, dry.stderr
    assert "would remove app:v1" in dry.stdout and "would remove app:v2" in dry.stdout
    assert "would remove app:v3" not in dry.stdout and "team/copy" not in dry.stdout
    gone_bytes = sum(s for tag in ("v1", "v2") for d, s in needs[tag].items() if d not in needs["v3"])
    plan = json.loads(
        kindplane(config, "registry", "prune", "--keep", "1", "--dry-run", "-o", "json", home=home).stdout
    )
    assert plan["stores"][0]["frees"] == gone_bytes
    before = on_disk(started.name)
    with RegistryClient(started.host) as client:
        assert client.tags("app") == ["v1", "v2", "v3"]  # the dry run changed nothing

    real = kindplane(config, "registry", "prune", "--keep", "1", "-o", "json", home=home)
    assert real.returncode == 0, real.stderr
    (result,) = json.loads(real.stdout)["stores"]
    after = on_disk(started.name)
    assert result["before"] == before and result["after"] == after
    assert before - after >= 2 * LAYER and result["reclaimed"] == before - after
    with RegistryClient(started.host) as client:
        assert client.tags("app") == ["v3"]
        assert client.tags("team/copy") == ["latest"]
        kept = client.manifest("app", "v3").digest
        for digest in set(needs["v3"]) - {kept}:  # what the kept tag needs is all still there, after the restart
            assert httpx.head(f"http://{started.host}/v2/app/blobs/{digest}").status_code == 200
        for tag in ("v1", "v2"):
            layer = next(d for d, size in needs[tag].items() if size >= LAYER)
            assert httpx.head(f"http://{started.host}/v2/app/blobs/{layer}").status_code == 404
    again = json.loads(kindplane(config, "registry", "du", "-o", "json", home=home).stdout)["stores"][0]
    assert again["unreferenced"] == 0 and again["referenced"] == app_bytes - gone_bytes


def _config_text(started, image: str) -> str:
    registry = started.commands.config.cluster.registry
    return (
        f"cluster:\n  name: {unique_name('kpt-gone')}\n  registry:\n    enabled: true\n"
        f"    name: {registry.name}\n    port: {registry.port}\n    image: '{image}'\n"
    )
