"""`registry prune` / `preload` / `import` refusals a user meets before anything is touched.

The Docker tests run these commands on real registries; here the seams are the cluster's pods
and the registry containers, so each refusal is checked to happen before any of them is read.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kindplane.cli.app import app
from kindplane.ops.registry import config_stores, pod_images

CONFIG = "cluster:\n  name: dev\n  registry: {enabled: true}\n"


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "kindplane.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def untouched(monkeypatch):
    """Fails the test if a registry container is looked at."""

    def refuse(*_a, **_k):
        raise AssertionError("a registry container was inspected")

    monkeypatch.setattr(config_stores, "inspect_store", refuse)


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_prune_refuses_when_the_cluster_exists_but_its_pods_cannot_be_read(config, untouched, monkeypatch):
    def unknown(name):
        raise pod_images.PodsUnknown(f"the API server of {name} did not answer: connection refused")

    monkeypatch.setattr(pod_images, "read_pods", unknown)
    result = run("-c", str(config), "registry", "prune", "--keep", "3")
    assert result.exit_code == 1
    assert (
        "error: cannot tell which images pods use: the API server of dev did not answer: connection refused. "
        "Start the cluster, or prune anyway with --force"
    ) in result.stderr


def test_prune_without_a_rule_or_with_a_bad_one_is_a_usage_error(config, untouched):
    result = run("-c", str(config), "registry", "prune")
    assert result.exit_code == 2 and "nothing to prune by: give --keep N" in result.stderr
    result = run("-c", str(config), "registry", "prune", "--keep-younger-than", "7")
    assert result.exit_code == 2
    assert "--keep-younger-than must be a duration such as 90m, 36h, 7d or 2w (or 0), got '7'" in result.stderr
    result = run("-c", str(config), "registry", "prune", "--max-size", "lots", "--keep", "1")
    assert result.exit_code == 2 and "--max-size must be a size such as 500MB, 10GB or 8GiB" in result.stderr
    result = run("-c", str(config), "registry", "du", "no-such")
    assert result.exit_code == 2 and "no registry or mirror named 'no-such' in this config" in result.stderr


def test_preload_names_every_bad_line_of_its_list(config, tmp_path, untouched):
    listing = tmp_path / "images.txt"
    listing.write_text("# ok\nnginx:1.27\nNot An Image\n\nbad@sha256:xyz\n")
    result = run("-c", str(config), "registry", "preload", str(listing))
    assert result.exit_code == 2
    assert f"{listing}:3: 'Not An Image' is not an image reference" in result.stderr
    assert f"{listing}:5: 'bad@sha256:xyz' is not an image reference" in result.stderr
    assert run("-c", str(config), "registry", "preload").exit_code == 2


def test_import_of_a_file_that_is_no_bundle_writes_nothing(config, tmp_path, untouched):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tarball")
    result = run("-c", str(config), "registry", "import", str(junk))
    assert result.exit_code == 1 and f"{junk}: not a readable tar file" in result.stderr
