"""Which distribution (registry) release a registry image runs, read from the image itself.

A tag says little (`registry:latest`, a mirror's `mirror.example/registry:stable`), so kindplane
asks the binary (`registry --version`), then the image's OCI version label, then the config file
its CMD names. What follows from the version lives here too: the config path a gc needs and what
the proxy (pull-through mirror) supports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from docker import DockerClient

# Where each major version keeps its config in the official images (and the CMD they ship).
V2_CONFIG_PATH = "/etc/docker/registry/config.yml"
V3_CONFIG_PATH = "/etc/distribution/config.yml"
OCI_VERSION_LABEL = "org.opencontainers.image.version"

# "registry github.com/distribution/distribution/v3 v3.0.0", Debian's "… github.com/docker/distribution 2.8.2+ds1"
_VERSION = re.compile(r"(?<![\w.])v?(\d+)\.(\d+)\.(\d+)([-+.\w]*)")

# Runs argv inside the registry container: (exit code, stdout + stderr).
Runner = Callable[[list[str]], "tuple[int, str]"]


@dataclass(frozen=True, order=True)
class DistributionVersion:
    major: int
    minor: int
    patch: int
    text: str = ""  # as the binary or label said it, e.g. "v3.0.0", "2.8.2+ds1"
    source: str = ""  # where it was read: "registry --version", "label …", "config path"

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}"

    @property
    def config_path(self) -> str:
        """The config file of the official image of this major version."""
        return V3_CONFIG_PATH if self.major >= 3 else V2_CONFIG_PATH

    @property
    def proxy_ttl(self) -> bool:
        """configuration.Proxy has `ttl` from v3.0.0; 2.8 expires proxied content after a fixed 7 days."""
        return self.major >= 3

    @property
    def proxy_fetches_blob_once(self) -> bool:
        """v3's proxyBlobStore.ServeBlob streams to the client and the cache from one upstream GET
        (io.MultiWriter); 2.8 starts a second GET (storeLocal) beside the one it serves."""
        return self.major >= 3


def parse_version(text: str, source: str = "") -> Optional[DistributionVersion]:
    """The first `[v]MAJOR.MINOR.PATCH…` in `text`; None when there is none."""
    match = _VERSION.search(text or "")
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups()[:3])
    return DistributionVersion(major, minor, patch, match.group(0), source)


def version_from_image_config(config: dict) -> Optional[DistributionVersion]:
    """From an image's (or container's) Config: the OCI version label, else the config file CMD names."""
    labels = config.get("Labels") or {}
    found = parse_version(labels.get(OCI_VERSION_LABEL, ""), f"label {OCI_VERSION_LABEL}")
    if found is not None:
        return found
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    if V3_CONFIG_PATH in argv:
        return DistributionVersion(3, 0, 0, "3.x", f"config path {V3_CONFIG_PATH}")
    if V2_CONFIG_PATH in argv:
        return DistributionVersion(2, 0, 0, "2.x", f"config path {V2_CONFIG_PATH}")
    return None


def container_version(run: Runner, config: dict) -> Optional[DistributionVersion]:
    """Asks the running container's binary first; falls back to what its image config says."""
    for binary in ("registry", "/bin/registry"):
        try:
            code, output = run([binary, "--version"])
        except Exception:  # noqa: BLE001 — exec of a missing binary fails differently per engine
            continue
        if code == 0:
            found = parse_version(output, f"{binary} --version")
            if found is not None:
                return found
    return version_from_image_config(config)


def config_path(config: dict, version: Optional[DistributionVersion]) -> str:
    """The config file the container serves: the one its CMD names, else its version's default."""
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    named = [a for a in argv if a.endswith((".yml", ".yaml"))]
    if named:
        return named[-1]
    return (version or DistributionVersion(2, 0, 0)).config_path


def running_container_version(client: DockerClient, attrs: dict) -> Optional[DistributionVersion]:
    """The version of a running container (docker SDK client, `inspect` attributes)."""
    from ..docker_lookup import exec_text

    container = client.containers.get(attrs["Id"])
    return container_version(partial(exec_text, container), attrs.get("Config") or {})


def describe(version: Optional[DistributionVersion]) -> str:
    return f"distribution {version}" if version else "distribution version unknown"
