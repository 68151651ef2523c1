"""Registry operations that need Docker: push a local image, garbage-collect inside the container.

The docker SDK is imported lazily (through docker_lookup) so the CLI's help never loads it.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from ...core.image_ref import ImageRef
from ...core.naming import REGISTRY_DATA_PATH
from ..docker_daemon import push_messages
from ..docker_lookup import answers_inside, docker_client, exec_text, inspect_container
from .distribution_version import DistributionVersion, config_path, container_version

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

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


def push_image(ref: ImageRef, host_address: str, client: Optional[DockerClient] = None) -> PushResult:
    """Tags the local image `ref` as `<host_address>/<path>:<tag>` and pushes it."""
    import docker

    client = client or docker_client()
    source = str(ref)
    try:
        image = client.images.get(source)
    except docker.errors.ImageNotFound:
        raise OpsError(
            f"no local image {source!r}; build or pull it first (docker build -t {shlex.quote(source)} .)"
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


def collect_garbage(run: Runner, config_path: str, storage_root: str, delete_untagged: bool = False) -> GcResult:
    """`registry garbage-collect CONFIG`, measuring the storage root with `du` around it."""
    before = disk_usage(run, storage_root)
    argv = ["registry", "garbage-collect"]
    if delete_untagged:
        argv.append("--delete-untagged")
    code, output = run(argv + [config_path])
    if code != 0:
        last = output.strip().splitlines()[-1] if output.strip() else f"exit code {code}"
        raise OpsError(f"registry garbage-collect failed: {last}")
    return GcResult(before, disk_usage(run, storage_root), output)


def disk_usage(run: Runner, path: str) -> int:
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
    """What gc, du and prune need to know about a running registry (or mirror) container."""

    name: str
    config_path: str
    storage_root: str
    version: Optional[DistributionVersion]  # None when neither the binary nor the image says
    _container: Container

    def run(self, argv: list[str]) -> tuple[int, str]:
        return exec_text(self._container, argv)

    def read(self, argv: list[str]) -> "tuple[int, bytes, str]":
        """Like run, with stdout kept apart (and as bytes) from stderr."""
        result = self._container.exec_run(argv, stdout=True, stderr=True, demux=True)
        out, err = result.output if isinstance(result.output, tuple) else (None, None)
        code = -1 if result.exit_code is None else result.exit_code
        return code, out or b"", (err or b"").decode("utf-8", "replace")

    def stream(self, argv: list[str]) -> Iterator[bytes]:
        """argv's stdout as it comes (stderr dropped): for streams too big to hold, e.g. `tar`."""
        output = self._container.exec_run(argv, stream=True, stderr=False).output
        return iter((output,)) if isinstance(output, bytes) else output  # bytes only without stream=True

    def put_archive(self, path: str, data: Any) -> bool:
        """Extracts a tar stream (bytes or a file) under `path` in the container."""
        return self._container.put_archive(path, data)

    def restart(self, wait: float = 0.0) -> bool:
        """Restarts; with `wait`, polls GET /v2/ inside (a mirror has no host port) up to that many
        seconds and says whether it answered."""
        # registry:2 caches blob descriptors in memory; after a collection that cache still
        # claims deleted blobs exist, so a re-push would skip them and pulls would then fail.
        self._container.restart(timeout=10)
        deadline = time.monotonic() + wait
        while wait:
            if answers_inside(self._container):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True


def registry_container(name: str, client: Optional[DockerClient] = None, what: str = "registry") -> RegistryContainer:
    """The running registry container, with its distribution version, config file and storage root."""
    client = client or docker_client()
    attrs = inspect_container(client, name)
    if attrs is None:
        raise OpsError(f"no container named {name!r}; create the {what} with `kindplane up`")
    if not (attrs.get("State") or {}).get("Running"):
        raise OpsError(f"{what} container {name!r} is not running; start it with `docker start {shlex.quote(name)}`")
    config = attrs.get("Config") or {}
    env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
    container = client.containers.get(attrs["Id"])
    # The CMD names the config file (the official entrypoints run `registry serve CMD`); without
    # one, the version says where its official image keeps it (v2 and v3 differ).
    version = container_version(partial(exec_text, container), config)
    return RegistryContainer(
        name=name,
        config_path=config_path(config, version),
        storage_root=env.get(STORAGE_ROOT_ENV, REGISTRY_DATA_PATH),
        version=version,
        _container=container,
    )
