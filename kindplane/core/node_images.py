"""kubernetesVersion → kind node image, and which kind release each image was built for.

kind only promises that a node image works with the kind release it was built for, and only the
digest identifies that build (tags are re-pushed). data/kind_node_images.json maps each minor to
one `kindest/node:v1.X.Y@sha256:…` and records the release it belongs to and where the digest
comes from; rows of several releases live side by side, so a stack pinned to a minor keeps its
image (and its cluster) when kindplane moves to a newer kind. A full version is used as written
(warned about when no row has it). The table's `kind` is the release `kindplane setup` installs
(ops.tools.KIND_VERSION; a unit test keeps them equal) and its default image is that release's
default (tests/kind_checks reads it from the sigs.k8s.io/kind module).
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
class NodeImage:
    minor: str  # "1.31"
    image: str  # "kindest/node:v1.31.9@sha256:…"
    kind_release: str  # "v0.29.0": the kind release this image was built for
    source: str  # where the digest comes from

    @property
    def tag(self) -> str:
        return self.image.split("@", 1)[0]


@dataclass(frozen=True)
class NodeImageTable:
    kind_release: str  # the release `kindplane setup` installs
    rows: dict[str, NodeImage]

    @property
    def images(self) -> dict[str, str]:
        return {minor: row.image for minor, row in self.rows.items()}

    @property
    def minors(self) -> list[str]:
        return sorted(self.rows, key=lambda minor: tuple(int(p) for p in minor.split(".")))

    @property
    def default(self) -> NodeImage:
        """The newest row of the installed release: kind's own default image at that release."""
        return [self.rows[m] for m in self.minors if self.rows[m].kind_release == self.kind_release][-1]

    def release_of(self, image: str) -> Optional[NodeImage]:
        """The row an image is, by digest or by its tag (kindest/node:v1.31.9), else None."""
        return next((row for row in self.rows.values() if image in (row.image, row.tag)), None)


@lru_cache(maxsize=1)
def node_image_table() -> NodeImageTable:
    raw = json.loads(resources.files("kindplane.core").joinpath("data/kind_node_images.json").read_text("utf-8"))
    rows = {minor: NodeImage(minor, row["image"], row["kind"], row["source"]) for minor, row in raw["images"].items()}
    return NodeImageTable(raw["kind"], rows)


@dataclass(frozen=True)
class ResolvedImage:
    image: str
    warning: Optional[str] = None  # set when no row of the table has this image


def normalize_version(text: str) -> str:
    """ "1.31", "v1.31.4" → "1.31", "1.31.4"; ValueError (a user-facing sentence) otherwise."""
    found = KUBERNETES_VERSION.match(text)
    if not found:
        raise ValueError(f"must be a Kubernetes version such as 1.31 or 1.31.9, got {text!r}")
    major, minor, patch = found.groups()
    table = node_image_table()
    if patch is None and f"{major}.{minor}" not in table.rows:
        raise ValueError(
            f"kindplane knows no kind node image for {major}.{minor}; available: "
            f"{', '.join(table.minors)} (or give a full version such as {major}.{minor}.0, or nodeImage)"
        )
    return text.lstrip("v")


def resolve_node_image(version: str) -> ResolvedImage:
    """A normalized version ("1.31" or "1.31.4") → the node image kind should run."""
    table = node_image_table()
    parts = version.split(".")
    minor = ".".join(parts[:2])
    if len(parts) == 2:
        return ResolvedImage(table.rows[minor].image)  # normalize_version guarantees the minor is listed
    row = table.rows.get(minor)
    # A full version renders as it always has (no digest added): the kind config is the cluster's
    # replacement trigger, so changing it for an existing stack would recreate the cluster.
    image = f"kindest/node:v{version}"
    if row and row.tag == image:
        return ResolvedImage(image)
    if row:
        offer = f'for {minor} it knows {row.tag} (built for kind {row.kind_release}); use kubernetesVersion "{minor}"'
    else:
        offer = f"it knows images for {', '.join(table.minors)} only"
    return ResolvedImage(
        image,
        f"{image} is not an image kindplane knows the kind release of, and node images may not start "
        f"with another kind release than their own; {offer}, or set nodeImage to an image from your "
        f"kind release's notes",
    )


def release_mismatch(image: Optional[str], kind_version: str) -> Optional[str]:
    """One sentence with the fix when `image` (the node image kindplane renders; None: kind's own
    default) was built for another kind release than `kind_version` (the kind that will run)."""
    if not image:
        return None
    table = node_image_table()
    row = table.release_of(image)
    if row is None or row.kind_release == kind_version:
        return None
    newest = [table.rows[m] for m in table.minors if table.rows[m].kind_release == kind_version]
    fixes = [f"install kind {row.kind_release}"]
    if row.kind_release == table.kind_release:
        fixes[0] += " (`kindplane setup` installs it into ~/.kindplane/bin)"
    if newest:
        fixes.append(f'use kubernetesVersion "{newest[-1].minor}" (built for kind {kind_version})')
    fixes.append(f"set nodeImage to the {row.minor} image from kind {kind_version}'s release notes")
    return (
        f"{image} was built for kind {row.kind_release}, but the kind kindplane runs is {kind_version}; "
        f"kind only vouches for node images of its own release: {', or '.join(fixes)}"
    )
