"""kubernetesVersion → node image: minors from the pinned kind's table, with digests; warnings."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
import yaml

from kindplane.core.config import parse_config
from kindplane.core.errors import ConfigError
from kindplane.core.node_images import node_image_table
from kindplane.core.render.all_warnings import all_warnings
from kindplane.core.render.kind_config import kind_config_yaml
from kindplane.ops.tools import KIND_VERSION

DIGEST_131 = "kindest/node:v1.31.9@sha256:b94a3a6c06198d17f59cca8c6f486236fa05e2fb359cbd75dabbfc348a10b211"


def images(text: str) -> set[str]:
    doc = yaml.safe_load(kind_config_yaml(parse_config(text).cluster))
    return {node.get("image") for node in doc["nodes"]}


def warnings(text: str) -> list[str]:
    return [str(w) for w in all_warnings(parse_config(text).cluster)]


def test_the_table_is_for_the_kind_release_kindplane_installs():
    table = node_image_table()
    assert table.kind_release == KIND_VERSION  # bump both together
    assert table.source == f"https://github.com/kubernetes-sigs/kind/releases/tag/{KIND_VERSION}"


def test_every_entry_is_a_kindest_node_image_of_its_minor_pinned_by_digest():
    table = node_image_table()
    assert table.minors == ["1.30", "1.31", "1.32", "1.33"]
    for minor, image in table.images.items():
        found = re.fullmatch(r"kindest/node:v(\d+\.\d+)\.\d+@sha256:[0-9a-f]{64}", image)
        assert found and found.group(1) == minor, image


def test_the_data_file_ships_inside_the_package():
    raw = json.loads(resources.files("kindplane.core").joinpath("data/kind_node_images.json").read_text())
    assert raw["images"]["1.33"].startswith("kindest/node:v1.33.1@sha256:0500722")


@pytest.mark.parametrize("version", ["1.31", "v1.31"])
def test_a_minor_gets_the_published_image_with_its_digest_on_every_node(version):
    assert images(f'cluster: {{name: dev, nodes: {{workers: 2}}, kubernetesVersion: "{version}"}}') == {DIGEST_131}
    assert warnings(f'cluster: {{name: dev, kubernetesVersion: "{version}"}}') == []


@pytest.mark.parametrize("version", ["1.31.9", "v1.31.9"])
def test_a_full_version_renders_as_before_so_existing_clusters_are_not_replaced(version):
    # The kind config is the cluster's replacement trigger: adding a digest here would recreate
    # every cluster made from `kubernetesVersion: 1.31.9` by an older kindplane.
    assert images(f'cluster: {{name: dev, kubernetesVersion: "{version}"}}') == {"kindest/node:v1.31.9"}
    assert warnings(f'cluster: {{name: dev, kubernetesVersion: "{version}"}}') == []


def test_a_patch_the_pinned_kind_did_not_build_is_used_as_written_with_a_warning_naming_the_release():
    assert images('cluster: {name: dev, kubernetesVersion: "1.31.4"}') == {"kindest/node:v1.31.4"}
    assert warnings('cluster: {name: dev, kubernetesVersion: "1.31.4"}') == [
        "cluster.kubernetesVersion: kindest/node:v1.31.4 was not built for kind v0.29.0 (the kind "
        "kindplane installs) and may not start; it publishes kindest/node:v1.31.9 for 1.31; use "
        'kubernetesVersion "1.31", or set nodeImage to an image built for it'
    ]


def test_a_full_version_of_an_unpublished_minor_warns_with_the_minors_available():
    [warning] = warnings('cluster: {name: dev, kubernetesVersion: "1.28.15"}')
    assert "kindest/node:v1.28.15 was not built for kind v0.29.0" in warning
    assert "it publishes images for 1.30, 1.31, 1.32, 1.33 only" in warning


def test_a_minor_the_pinned_kind_does_not_publish_is_an_error_listing_the_minors():
    with pytest.raises(ConfigError) as caught:
        parse_config('cluster: {name: dev, kubernetesVersion: "1.28"}')
    assert [str(p) for p in caught.value.problems] == [
        "kindplane.yaml: cluster.kubernetesVersion: kind v0.29.0 publishes no node image for 1.28; "
        "available: 1.30, 1.31, 1.32, 1.33 (or give a full version such as 1.28.0, or nodeImage)"
    ]


def test_node_image_wins_and_then_the_version_warns_about_nothing():
    text = 'cluster: {name: dev, kubernetesVersion: "1.31.4", nodeImage: "my/node:v1"}'
    assert images(text) == {"my/node:v1"}
    assert warnings(text) == []


def test_an_unquoted_minor_is_a_yaml_number_and_the_error_says_to_quote_it():
    with pytest.raises(ConfigError) as caught:
        parse_config("cluster: {name: dev, kubernetesVersion: 1.30}")
    assert [str(p) for p in caught.value.problems] == [
        "kindplane.yaml: cluster.kubernetesVersion: must be a string, got the number 1.3; write it in "
        'quotes, e.g. "1.31" (unquoted, YAML reads 1.30 as 1.3)'
    ]


@pytest.mark.parametrize("bad", ["1", "1.31.4.2", "latest", "1.31-rc.1", "v"])
def test_anything_else_is_not_a_version(bad):
    with pytest.raises(ConfigError) as caught:
        parse_config(f'cluster: {{name: dev, kubernetesVersion: "{bad}"}}')
    assert [p.path for p in caught.value.problems] == ["cluster.kubernetesVersion"]
    assert "must be a Kubernetes version such as 1.31 or 1.31.9" in caught.value.problems[0].message
