"""Registry operations that need Docker: push a local image, garbage-collect inside the container.

The docker SDK is imported lazily (through docker_lookup) so the CLI's help never loads it.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .docker_daemon import push_messages
from .docker_lookup import docker_client, inspect_container
from ..core.image_ref import ImageRef
from ..core.naming import REGISTRY_DATA_PATH

# Where registry:2 (and the harness image built like it) keeps its config: the image's CMD.
DEFAULT_REGISTRY_CONFIG = "/etc/docker/registry/config.yml"
STORAGE_ROOT_ENV = "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"


class OpsError(RuntimeError):
    """A push or gc that could not be done; str() is the one-line message."""


# --- push --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PushResult:
    source: str  # the local image as the user named it
    target: str  # localhost:<port>/<path>:<tag>: the reference to put in manifests
    digest: Optional[str]
    size: Optional[int]


def push_image(ref: ImageRef, host_address: str, client: Any = None) -> PushResult:
    """Tags the local image `ref` as `<host_address>/<path>:<tag>` and pushes it."""
    import docker

    client = client or docker_client()
    source = str(ref)
    try:
        image = client.images.get(source)
    except docker.errors.ImageNotFound:
        raise OpsError(
            f"no local image {source!r}; build or pull it first "
            f"(docker build -t {shlex.quote(source)} .)"
        ) from None
    except docker.errors.APIError as exc:
        raise OpsError(f"cannot read local image {source!r}: {exc.explanation or exc}") from None
    repository, tag = f"{host_address}/{ref.path}", ref.tag_or_default
    image.tag(repository, tag)
    digest = size = None
    for message in push_messages(client, repository, tag):  # Podman needs telling: plain HTTP
        if "error" in message:
            detail = (message.get("errorDetail") or {}).get("message") or message["error"]
            raise OpsError(f"push of {repository}:{tag} failed: {detail}")
        aux = message.get("aux") or {}
        digest, size = aux.get("Digest", digest), aux.get("Size", size)
    return PushResult(source, f"{repository}:{tag}", digest, size)


# --- garbage collection ------------------------------------------------------------------------

# Runs argv somewhere (inside the registry container, normally) and returns (exit code, output).
Runner = Callable[[list[str]], "tuple[int, str]"]


@dataclass(frozen=True)
class GcResult:
    before: int  # bytes under the storage root before the collector ran
    after: int
    output: str  # the collector's own log, for --verbose

    @property
    def reclaimed(self) -> int:
        return max(self.before - self.after, 0)


def collect_garbage(
    run: Runner, config_path: str, storage_root: str, delete_untagged: bool = False
) -> GcResult:
    """`registry garbage-collect CONFIG`, measuring the storage root with `du` around it."""
    before = _disk_usage(run, storage_root)
    argv = ["registry", "garbage-collect"]
    if delete_untagged:
        argv.append("--delete-untagged")
    code, output = run(argv + [config_path])
    if code != 0:
        last = output.strip().splitlines()[-1] if output.strip() else f"exit code {code}"
        raise OpsError(f"registry garbage-collect failed: {last}")
    return GcResult(before, _disk_usage(run, storage_root), output)


def _disk_usage(run: Runner, path: str) -> int:
    code, output = run(["du", "-sb", path])
    if code == 0:
        return int(output.split()[0])
    # busybox builds without -b: kibibytes are coarser but still show what was reclaimed.
    code, output = run(["du", "-sk", path])
    if code != 0:
        raise OpsError(f"cannot measure {path} in the registry: {output.strip()}")
    return int(output.split()[0]) * 1024


@dataclass(frozen=True)
class RegistryContainer:
    """What gc needs to know about the running registry container."""

    name: str
    config_path: str
    storage_root: str
    _container: Any

    def run(self, argv: list[str]) -> "tuple[int, str]":
        result = self._container.exec_run(argv, stdout=True, stderr=True, demux=False)
        return result.exit_code, (result.output or b"").decode("utf-8", "replace")

    def restart(self) -> None:
        # registry:2 caches blob descriptors in memory; after a collection that cache still
        # claims deleted blobs exist, so a re-push would skip them and pulls would then fail.
        self._container.restart(timeout=10)


def registry_container(name: str, client: Any = None) -> RegistryContainer:
    """The running registry container, with its config file and storage root."""
    client = client or docker_client()
    attrs = inspect_container(client, name)
    if attrs is None:
        raise OpsError(f"no container named {name!r}; create the registry with `kindplane up`")
    if not (attrs.get("State") or {}).get("Running"):
        raise OpsError(f"registry container {name!r} is not running; start it with `docker start {shlex.quote(name)}`")
    config = attrs.get("Config") or {}
    # The image's CMD is the config file (registry:2's entrypoint runs `registry serve CMD`).
    cmd = [c for c in config.get("Cmd") or [] if c.endswith((".yml", ".yaml"))]
    env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
    return RegistryContainer(
        name=name,
        config_path=cmd[-1] if cmd else DEFAULT_REGISTRY_CONFIG,
        storage_root=env.get(STORAGE_ROOT_ENV, REGISTRY_DATA_PATH),
        _container=client.containers.get(attrs["Id"]),
    )
