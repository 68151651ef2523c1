"""kubernetesVersion → node image: minors from the pinned kind's table, with digests; warnings."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
import yaml

from kindplane.core.config import parse_config
from kindplane.core.errors import ConfigError
from kindplane.core.node_images import node_image_table, release_mismatch
from kindplane.core.render.all_warnings import all_warnings
from kindplane.core.render.kind_config import kind_config_yaml
from kindplane.ops.tools import KIND_VERSION

DIGEST_131 = "kindest/node:v1.31.9@sha256:b94a3a6c06198d17f59cca8c6f486236fa05e2fb359cbd75dabbfc348a10b211"


def images(text: str) -> set[str]:
    doc = yaml.safe_load(kind_config_yaml(parse_config(text).cluster))
    return {node.get("image") for node in doc["nodes"]}


def warnings(text: str) -> list[str]:
    return [str(w) for w in all_warnings(parse_config(text).cluster)]


def test_the_table_belongs_to_the_kind_release_kindplane_installs_and_its_default_is_that_releases():
    table = node_image_table()
    assert table.kind_release == KIND_VERSION  # bump both together
    assert table.default.kind_release == KIND_VERSION
    assert table.default.minor == table.minors[-1]  # the newest minor is the installed kind's default


def test_every_row_is_a_kindest_node_image_of_its_minor_pinned_by_digest_with_its_release_and_source():
    table = node_image_table()
    assert table.minors == ["1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]
    for minor, row in table.rows.items():
        found = re.fullmatch(r"kindest/node:v(\d+\.\d+)\.\d+@sha256:[0-9a-f]{64}", row.image)
        assert found and found.group(1) == minor, row.image
        assert re.fullmatch(r"v0\.\d+\.\d+", row.kind_release), row
        assert row.source.startswith(
            (
                "sigs.k8s.io/kind@" + row.kind_release,
                "https://github.com/kubernetes-sigs/kind/releases/tag/" + row.kind_release,
            )
        ), row
    # Rows of older releases stay: a stack pinned to "1.32" keeps its image (and its cluster).
    assert {m: table.rows[m].kind_release for m in ("1.32", "1.36", "1.37")} == {
        "1.32": "v0.29.0",
        "1.36": "v0.32.0",
        "1.37": "v0.33.0",
    }


def test_the_data_file_ships_inside_the_package():
    raw = json.loads(resources.files("kindplane.core").joinpath("data/kind_node_images.json").read_text())
    assert raw["images"]["1.33"]["image"].startswith("kindest/node:v1.33.1@sha256:0500722")
    assert raw["images"]["1.33"]["kind"] == "v0.29.0"


def test_an_image_is_matched_to_its_release_by_digest_or_by_tag_and_unknown_images_to_none():
    table = node_image_table()
    assert table.release_of(DIGEST_131).kind_release == "v0.29.0"
    assert table.release_of("kindest/node:v1.31.9").minor == "1.31"
    assert table.release_of("kindest/node:v1.31.4") is None
    assert table.release_of("my/node:v1") is None


def test_a_pinned_image_of_an_older_release_under_the_current_kind_gets_a_warning_with_the_fixes():
    assert release_mismatch(DIGEST_131, "v0.33.0") == (
        f"{DIGEST_131} was built for kind v0.29.0, but the kind kindplane runs is v0.33.0; kind only "
        'vouches for node images of its own release: install kind v0.29.0, or use kubernetesVersion "1.37" '
        "(built for kind v0.33.0), or set nodeImage to the 1.31 image from kind v0.33.0's release notes"
    )


def test_an_image_of_the_installed_release_under_an_older_kind_offers_kindplane_setup():
    found = release_mismatch(node_image_table().default.image, "v0.29.0")
    assert found is not None
    assert "was built for kind v0.33.0, but the kind kindplane runs is v0.29.0" in found
    assert "install kind v0.33.0 (`kindplane setup` installs it into ~/.kindplane/bin)" in found
    assert 'use kubernetesVersion "1.33" (built for kind v0.29.0)' in found


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        (None, "v0.29.0"),  # kind's own default image: always its own release
        (DIGEST_131, "v0.29.0"),  # the same release
        ("kindest/node:v1.31.9", "v0.29.0"),
        ("my/node:v1", "v0.33.0"),  # unknown: nothing to say
    ],
)
def test_no_warning_when_the_releases_agree_or_cannot_be_known(image, kind):
    assert release_mismatch(image, kind) is None


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


def test_a_patch_no_row_has_is_used_as_written_with_a_warning_naming_the_known_image_and_its_release():
    assert images('cluster: {name: dev, kubernetesVersion: "1.31.4"}') == {"kindest/node:v1.31.4"}
    assert warnings('cluster: {name: dev, kubernetesVersion: "1.31.4"}') == [
        "cluster.kubernetesVersion: kindest/node:v1.31.4 is not an image kindplane knows the kind release "
        "of, and node images may not start with another kind release than their own; for 1.31 it knows "
        'kindest/node:v1.31.9 (built for kind v0.29.0); use kubernetesVersion "1.31", or set nodeImage to '
        "an image from your kind release's notes"
    ]


def test_a_full_version_of_an_unknown_minor_warns_with_the_minors_available():
    [warning] = warnings('cluster: {name: dev, kubernetesVersion: "1.28.15"}')
    assert "kindest/node:v1.28.15 is not an image kindplane knows the kind release of" in warning
    assert "it knows images for 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37 only" in warning


def test_a_minor_without_a_row_is_an_error_listing_the_minors():
    with pytest.raises(ConfigError) as caught:
        parse_config('cluster: {name: dev, kubernetesVersion: "1.28"}')
    assert [str(p) for p in caught.value.problems] == [
        "kindplane.yaml: cluster.kubernetesVersion: kindplane knows no kind node image for 1.28; "
        "available: 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37 (or give a full version such as 1.28.0, "
        "or nodeImage)"
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
