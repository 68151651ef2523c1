"""IMAGE[:TAG] parsing: Docker's host rule, default tag, and clear refusals."""

from __future__ import annotations

import pytest

from kindplane.core.image_ref import ImageRefError, parse_image_ref


@pytest.mark.parametrize(
    "text, host, path, tag",
    [
        ("my-app", None, "my-app", None),
        ("my-app:latest", None, "my-app", "latest"),
        ("team/my-app:1.2.3", None, "team/my-app", "1.2.3"),
        ("localhost:5001/my-app:latest", "localhost:5001", "my-app", "latest"),
        ("localhost/my-app", "localhost", "my-app", None),
        ("ghcr.io/org/app:v1", "ghcr.io", "org/app", "v1"),
        ("kind-registry:5000/app", "kind-registry:5000", "app", None),
    ],
)
def test_parses_host_path_and_tag_like_docker(text, host, path, tag):
    ref = parse_image_ref(text)
    assert (ref.host, ref.path, ref.tag) == (host, path, tag)
    assert str(ref) == text


def test_missing_tag_means_latest_and_retargets_onto_the_local_registry():
    assert parse_image_ref("ghcr.io/org/app").on("localhost:5001") == "localhost:5001/org/app:latest"
    assert parse_image_ref("app:v2").on("localhost:5001") == "localhost:5001/app:v2"


def test_digest_is_kept():
    digest = "sha256:" + "a" * 64
    ref = parse_image_ref(f"localhost:5001/app@{digest}")
    assert (ref.path, ref.tag, ref.digest) == ("app", None, digest)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not an image reference"),
        (" app", "not an image reference"),
        ("My-App:latest", "repository names are lower-case"),
        ("app:-bad", "tag '-bad'"),
        ("app:has space", "tag 'has space'"),
        ("app@sha256:xyz", "digest must be sha256"),
        ("localhost:5001/", "no repository name"),
        ("a//b", "'' is not a valid repository name component"),
        ("app;rm -rf /", "not a valid repository name component"),
    ],
)
def test_bad_references_are_refused_with_the_bad_part_named(text, message):
    with pytest.raises(ImageRefError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_image_ref(text)
