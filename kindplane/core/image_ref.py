"""Image references (`[host[:port]/]path[:tag][@sha256:…]`), parsed the way Docker reads them.

Docker decides that the first path component is a registry host when it contains `.` or `:`
or is `localhost`; otherwise the image lives on Docker Hub. That rule is what makes
`my-app:latest` in a pod manifest a Docker Hub pull, which `kindplane doctor IMAGE` points out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$"
)
_NAME_MAX = 255  # the distribution spec's limit for host + path

DEFAULT_TAG = "latest"


class ImageRefError(ValueError):
    """A reference Docker would refuse; the message names the bad part."""


@dataclass(frozen=True)
class ImageRef:
    host: Optional[str]  # "localhost:5001", "ghcr.io"; None means Docker Hub
    path: str  # "my-app", "team/my-app": the repository inside the registry
    tag: Optional[str]  # None when the user gave none (Docker then means "latest")
    digest: Optional[str] = None

    @property
    def tag_or_default(self) -> str:
        return self.tag or DEFAULT_TAG

    def on(self, host: str, tag: Optional[str] = None) -> str:
        """The same repository and tag on another registry: `<host>/<path>:<tag>`."""
        return f"{host}/{self.path}:{tag or self.tag_or_default}"

    def __str__(self) -> str:
        text = f"{self.host}/{self.path}" if self.host else self.path
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image_ref(text: str) -> ImageRef:
    """Parses and validates; raises ImageRefError with a message fit for the user."""
    original = text
    if not text or text != text.strip():
        raise ImageRefError(f"{original!r} is not an image reference (empty or surrounding spaces)")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise ImageRefError(f"{original!r}: digest must be sha256: and 64 lower-case hex digits")
    host = None
    first, slash, rest = text.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        if not _HOST.match(first):
            raise ImageRefError(f"{original!r}: {first!r} is not a registry host[:port]")
        host, text = first, rest
    tag = None
    # A colon after the last slash starts the tag (a colon before it belongs to the host).
    name, colon, maybe_tag = text.rpartition(":")
    if colon and "/" not in maybe_tag:
        text, tag = name, maybe_tag
        if not _TAG.match(tag):
            raise ImageRefError(
                f"{original!r}: tag {tag!r} must be letters, digits, '_', '.' or '-' "
                f"(at most 128, not starting with '.' or '-')"
            )
    if not text:
        raise ImageRefError(f"{original!r} has no repository name")
    for component in text.split("/"):
        if not _COMPONENT.match(component):
            hint = " (repository names are lower-case)" if component.lower() != component else ""
            raise ImageRefError(f"{original!r}: {component!r} is not a valid repository name component{hint}")
    if len((host + "/" if host else "") + text) > _NAME_MAX:
        raise ImageRefError(f"{original!r}: the name is longer than {_NAME_MAX} characters")
    return ImageRef(host=host, path=text, tag=tag, digest=digest)
