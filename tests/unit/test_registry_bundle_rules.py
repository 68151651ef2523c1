"""Bundles (OCI image layout tarballs): what import trusts. Every blob must hash to its name and
every image must carry what its manifest names; the Docker test moves a real registry's images."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

from kindplane.ops.registry.oci_bundle import BundleError, read_bundle, storage_entries


def blob(data: bytes) -> tuple[str, bytes]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def make_bundle(path, tamper: bool = False, drop_layer: bool = False, name: str = "team/app:v1"):
    config = blob(b'{"architecture":"amd64","os":"linux"}')
    layer = blob(b"layer bytes" * 100)
    manifest = blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config[0],
                    "size": len(config[1]),
                },
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer[0], "size": len(layer[1])}
                ],
            }
        ).encode()
    )
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest[0],
                "size": len(manifest[1]),
                "annotations": {"org.opencontainers.image.ref.name": name},
            }
        ],
    }
    with tarfile.open(path, "w") as tar:
        files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": json.dumps(index).encode()}
        for digest, data in (config, layer, manifest):
            if drop_layer and digest == layer[0]:
                continue
            files[f"blobs/sha256/{digest[7:]}"] = data + (b"!" if tamper and digest == layer[0] else b"")
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return manifest[0], layer[0], config[0]


def test_a_sound_bundle_is_read_with_its_images_and_their_storage_layout(tmp_path):
    path = tmp_path / "b.tar"
    manifest, layer, config = make_bundle(path)
    bundle = read_bundle(path)
    (image,) = bundle.images
    assert (image.repository, image.tag, image.digest) == ("team/app", "v1", manifest)
    assert bundle.missing == {}
    assert bundle.closure(manifest) == [config, layer, manifest]  # blobs before the manifest: push order
    entries = storage_entries(bundle, image)
    assert entries["repositories/team/app/_manifests/tags/v1/current/link"] == manifest
    assert entries[f"repositories/team/app/_layers/sha256/{layer[7:]}/link"] == layer
    assert entries[f"repositories/team/app/_manifests/revisions/sha256/{manifest[7:]}/link"] == manifest
    assert entries[f"blobs/sha256/{layer[7:9]}/{layer[7:]}/data"] is None


def test_a_changed_blob_is_refused_naming_it(tmp_path):
    path = tmp_path / "b.tar"
    _, layer, _ = make_bundle(path, tamper=True)
    with pytest.raises(
        BundleError, match=f"blob blobs/sha256/{layer[7:]} hashes to sha256:[0-9a-f]{{64}}, not to its name"
    ):
        read_bundle(path)


def test_an_image_missing_a_blob_is_marked_and_not_a_layout_is_refused(tmp_path):
    path = tmp_path / "b.tar"
    _, layer, _ = make_bundle(path, drop_layer=True)
    assert read_bundle(path).missing == {"team/app:v1": [layer]}
    other = tmp_path / "x.tar"
    with tarfile.open(other, "w") as tar:
        info = tarfile.TarInfo("hello")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(BundleError, match="not an OCI image layout"):
        read_bundle(other)
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(BundleError, match="not a readable tar file"):
        read_bundle(tmp_path / "junk.tar")
    make_bundle(tmp_path / "bad-name.tar", name="latest")
    with pytest.raises(BundleError, match="names 'latest'; kindplane bundles name images repository:tag"):
        read_bundle(tmp_path / "bad-name.tar")


def test_an_index_that_is_not_a_regular_file_is_refused_as_not_json(tmp_path):
    path = tmp_path / "dir-index.tar"
    with tarfile.open(path, "w") as tar:
        layout = b'{"imageLayoutVersion":"1.0.0"}'
        info = tarfile.TarInfo("oci-layout")
        info.size = len(layout)
        tar.addfile(info, io.BytesIO(layout))
        index = tarfile.TarInfo("index.json")
        index.type = tarfile.DIRTYPE
        tar.addfile(index)
    with pytest.raises(BundleError, match=r"dir-index\.tar: index\.json is not JSON"):
        read_bundle(path)
