"""`kindplane registry export` → `import` between real registries: a registry:2 (Debian's
distribution 2.8) exports two images; an empty registry:3 imports them and serves them by digest
to `docker pull`; a changed bundle is refused before anything is written; the same bundle loads
into a registry:3 mirror's cache, which then answers for it with no upstream at all."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from harness.docker_env import docker
from harness.mirrors import mirror_program, run_mirror
from harness.names import unique_name
from harness.registry import remove_container, remove_volume
from harness.shell import kindplane

from kindplane.ops.registry.http_api import MANIFEST_ACCEPT, RegistryClient

pytestmark = pytest.mark.docker


def registry_config(path: Path, started, image: str, mirror: str = "") -> Path:
    registry = started.commands.config.cluster.registry
    path.write_text(
        f"cluster:\n  name: {unique_name('kpt-gone')}\n  registry:\n    enabled: true\n"
        f"    name: {registry.name}\n    port: {registry.port}\n    image: '{image}'\n" + mirror
    )
    return path


def tampered(source: Path, target: Path, digest: str) -> None:
    """A copy of the bundle with one byte of one blob changed."""
    with tarfile.open(source) as original, tarfile.open(target, "w") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read() if member.isfile() else b""
            if member.name.endswith(digest[7:]):
                data = data[:-1] + bytes([data[-1] ^ 1])
            copy.addfile(member, io.BytesIO(data))


def test_export_from_v2_import_into_an_empty_v3_and_a_v3_mirror(
    registry_v3_image, kind_network, registry_factory, images, tmp_path
):
    source = registry_factory(image="registry:2")
    for tag, size in (("v1", 200_000), ("v2", 100_000)):
        images.push(images.make(f"{source.host}/team/app:{tag}", payload=tag.encode(), size=size))
    source_config = registry_config(tmp_path / "source.yaml", source, "registry:2")
    with RegistryClient(source.host) as client:
        digests = {tag: client.manifest("team/app", tag).digest for tag in ("v1", "v2")}

    bundle = tmp_path / "bundle.tar"
    exported = kindplane(source_config, "registry", "export", str(bundle), "-o", "json")
    assert exported.returncode == 0, exported.stderr
    summary = json.loads(exported.stdout)
    assert {(i["repository"], i["tag"], i["digest"]) for i in summary["images"]} == {
        ("team/app", t, d) for t, d in digests.items()
    }
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        index = json.loads(tar.extractfile("index.json").read())
    assert (
        "oci-layout" in names and sum(n.startswith("blobs/sha256/") for n in names) == 6
    )  # 2 x (manifest, config, layer)
    assert {m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]} == {
        "team/app:v1",
        "team/app:v2",
    }

    target = registry_factory(image="registry:3")
    target_config = registry_config(tmp_path / "target.yaml", target, "registry:3")
    bad = tmp_path / "bad.tar"
    tampered(bundle, bad, digests["v1"])
    refused = kindplane(target_config, "registry", "import", str(bad))
    assert (
        refused.returncode == 1 and "hashes to sha256:" in refused.stderr and "nothing was imported" in refused.stderr
    )
    with RegistryClient(target.host) as client:
        assert client.repositories() == []  # nothing written

    imported = kindplane(target_config, "registry", "import", str(bundle), "-o", "json")
    assert imported.returncode == 0, imported.stderr
    assert all(r["error"] is None for r in json.loads(imported.stdout)["images"])
    with RegistryClient(target.host) as client:
        assert client.tags("team/app") == ["v1", "v2"]
        assert {t: client.manifest("team/app", t).digest for t in ("v1", "v2")} == digests
    by_digest = f"{target.host}/team/app@{digests['v1']}"
    images.track(by_digest)
    docker("pull", by_digest)  # a real client fetch by digest: manifest, config and layer
    again = json.loads(kindplane(target_config, "registry", "import", str(bundle), "-o", "json").stdout)
    assert all(r["skipped"] >= 2 for r in again["images"])  # a second import sends no blob again

    # Into a mirror's cache: its upstream does not even exist, yet it serves the image.
    mirror = unique_name("kpt-mirror")
    program = mirror_program(
        f"cluster:\n  name: {unique_name('kpt')}\n  mirrors:\n"
        f"    - {{remote: 'http://{unique_name('kpt-nowhere')}:5000', host: docker.io, "
        f"name: {mirror}, image: 'registry:3'}}\n"
    )
    try:
        run_mirror(program.containers[mirror], image="registry:3")
        mirror_config = registry_config(
            tmp_path / "mirror.yaml",
            target,
            "registry:3",
            f"  mirrors:\n    - {{remote: '{program.config.cluster.mirrors[0].remote}', "
            f"host: docker.io, name: {mirror}, image: 'registry:3'}}\n",
        )
        loaded = kindplane(mirror_config, "registry", "import", str(bundle), "--into", mirror)
        assert loaded.returncode == 0, loaded.stderr
        got = docker(
            "exec",
            mirror,
            "wget",
            "-q",
            "-O",
            "-",
            "--header",
            f"Accept: {MANIFEST_ACCEPT}",
            "http://localhost:5000/v2/team/app/manifests/v2",
        ).stdout
        assert "sha256:" + hashlib.sha256(got.encode()).hexdigest() == digests["v2"]
    finally:
        remove_container(mirror)
        remove_volume(f"{mirror}-data")
