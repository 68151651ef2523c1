"""kubernetesVersion → kind node image, from the images the pinned kind release publishes.

kind only promises that a node image works with the kind release it was built for, and only
the digest identifies that build (tags are re-pushed), so a minor such as "1.31" resolves to the
exact `kindest/node:v1.31.x@sha256:…` listed in that release's notes; a full version is used as
written (warned about when the release does not list it). The table lives in
data/kind_node_images.json with its source; ops.tools.KIND_VERSION must name the same release
(a unit test checks it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Optional

KUBERNETES_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class NodeImageTable:
    kind_release: str  # "v0.29.0"
    source: str  # where the digests come from
    images: dict[str, str]  # "1.31" → "kindest/node:v1.31.9@sha256:…"

    @property
    def minors(self) -> list[str]:
        return sorted(self.images, key=lambda minor: tuple(int(p) for p in minor.split(".")))


@lru_cache(maxsize=1)
def node_image_table() -> NodeImageTable:
    raw = json.loads(resources.files("kindplane.core").joinpath("data/kind_node_images.json").read_text("utf-8"))
    return NodeImageTable(raw["kind"], raw["source"], dict(raw["images"]))


@dataclass(frozen=True)
class ResolvedImage:
    image: str
    warning: Optional[str] = None  # set when the image was not built for the pinned kind


def normalize_version(text: str) -> str:
    """ "1.31", "v1.31.4" → "1.31", "1.31.4"; ValueError (a user-facing sentence) otherwise."""
    found = KUBERNETES_VERSION.match(text)
    if not found:
        raise ValueError(f"must be a Kubernetes version such as 1.31 or 1.31.9, got {text!r}")
    major, minor, patch = found.groups()
    table = node_image_table()
    if patch is None and f"{major}.{minor}" not in table.images:
        raise ValueError(
            f"kind {table.kind_release} publishes no node image for {major}.{minor}; available: "
            f"{', '.join(table.minors)} (or give a full version such as {major}.{minor}.0, or nodeImage)"
        )
    return text.lstrip("v")


def resolve_node_image(version: str) -> ResolvedImage:
    """A normalized version ("1.31" or "1.31.4") → the node image kind should run."""
    table = node_image_table()
    parts = version.split(".")
    minor = ".".join(parts[:2])
    if len(parts) == 2:
        return ResolvedImage(table.images[minor])  # normalize_version guarantees the minor is listed
    published = table.images.get(minor)
    # A full version renders as it always has (no digest added): the kind config is the cluster's
    # replacement trigger, so changing it for an existing stack would recreate the cluster.
    image = f"kindest/node:v{version}"
    if published and published.startswith(f"{image}@"):
        return ResolvedImage(image)
    if published:
        offer = f'it publishes {published.split("@")[0]} for {minor}; use kubernetesVersion "{minor}"'
    else:
        offer = f"it publishes images for {', '.join(table.minors)} only"
    return ResolvedImage(
        image,
        f"{image} was not built for kind {table.kind_release} (the kind kindplane installs) and may "
        f"not start; {offer}, or set nodeImage to an image built for it",
    )
