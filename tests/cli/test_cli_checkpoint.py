"""checkpoint.read_deployment: the state of a file backend, read as Pulumi's DIY backend lays it out."""

from __future__ import annotations

import gzip
import json

import pytest

from kindplane.cli.checkpoint import NotReadable, read_deployment

DEPLOYMENT = {
    "manifest": {},
    "resources": [
        {
            "urn": "urn:pulumi:dev::kindplane::pulumi:pulumi:Stack::kindplane-dev",
            "type": "pulumi:pulumi:Stack",
            "outputs": {"clusterName": "shop"},
        }
    ],
}


def backend(tmp_path, document, name="dev.json", layout="version: 1\n"):
    (tmp_path / ".pulumi" / "stacks" / "kindplane").mkdir(parents=True)
    (tmp_path / ".pulumi" / "meta.yaml").write_text(layout)
    data = json.dumps(document).encode()
    (tmp_path / ".pulumi" / "stacks" / "kindplane" / name).write_bytes(
        gzip.compress(data) if name.endswith(".gz") else data
    )
    return tmp_path


@pytest.mark.parametrize("version", [3, 4])
@pytest.mark.parametrize("name", ["dev.json", "dev.json.gz"])
def test_the_latest_deployment_of_the_stack_plain_or_gzipped(tmp_path, name, version):
    folder = backend(tmp_path, {"version": version, "checkpoint": {"stack": "dev", "latest": DEPLOYMENT}}, name)
    assert read_deployment(folder, "kindplane", "dev") == DEPLOYMENT


def test_a_stack_never_updated_has_an_empty_deployment_and_a_missing_one_none(tmp_path):
    folder = backend(tmp_path, {"version": 3, "checkpoint": {"stack": "dev"}})
    assert read_deployment(folder, "kindplane", "dev") == {}
    assert read_deployment(folder, "kindplane", "prod") is None


@pytest.mark.parametrize(
    "document,layout",
    [
        ({"version": 5, "checkpoint": {}}, "version: 1\n"),  # a newer checkpoint format
        ({"version": 3, "checkpoint": {}}, "version: 0\n"),  # the legacy layout
        ("not a checkpoint", "version: 1\n"),
    ],
)
def test_any_other_format_is_left_to_the_cli(tmp_path, document, layout):
    folder = backend(tmp_path, document, layout=layout)
    with pytest.raises(NotReadable):
        read_deployment(folder, "kindplane", "dev")


def test_a_folder_that_is_no_backend_is_left_to_the_cli(tmp_path):
    with pytest.raises(NotReadable):
        read_deployment(tmp_path, "kindplane", "dev")
