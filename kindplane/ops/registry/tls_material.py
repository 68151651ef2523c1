"""The HTTPS registry's certificates, kept in its data volume (`<name>-data`, under
core.render.tls.REGISTRY_TLS_DIR): read them back, or make them once (core.registry_ca).

Whatever keeps the images keeps the CA: a persistent registry taken back by the next `up` serves
with the CA every node and every client already trusts. A serving certificate near its end is made
again from the same CA. Reading goes through Docker's archive API on the registry container, or
on a short-lived helper container on the volume when there is none; writing happens only outside
preview (a preview of a first `up` shows a CA that the `up` then makes anew).
"""

from __future__ import annotations

import io
import tarfile
from typing import TYPE_CHECKING, Optional

from ...core.naming import LABEL_MANAGED_BY, REGISTRY_DATA_PATH, registry_labels, registry_volume_name
from ...core.registry_ca import TlsSet, new_tls_set, renewed
from ...core.render.tls import REGISTRY_TLS_DIR, REGISTRY_TLS_FILES, RegistryTls, registry_tls_names
from ..docker_lookup import inspect_container, inspect_volume

if TYPE_CHECKING:
    from docker import DockerClient

    from ...core.config import RegistryConfig


def registry_tls(client: DockerClient, registry: RegistryConfig, owner: str, dry_run: bool) -> RegistryTls:
    """The CA and serving certificate the registry runs with: read from its volume, made (and,
    outside preview, written there) when missing or due."""
    names = registry_tls_names(registry.name)
    current = read_tls_set(client, registry)
    wanted = renewed(current, registry.name, names) if current else new_tls_set(registry.name, names)
    if wanted != current and not dry_run:
        write_tls_set(client, registry, owner, wanted)
    return RegistryTls(wanted.ca_crt, wanted.certificate_sha256)


def read_tls_set(client: DockerClient, registry: RegistryConfig) -> Optional[TlsSet]:
    import docker

    volume = registry_volume_name(registry)
    attrs = inspect_container(client, registry.name)
    mounted = attrs is not None and any(
        m.get("Name") == volume and m.get("Destination") == REGISTRY_DATA_PATH for m in attrs.get("Mounts") or []
    )
    if mounted:
        assert attrs is not None
        return _read(client, attrs["Id"])
    if inspect_volume(client, volume) is None:
        return None
    try:
        with _helper(client, registry, volume, pull=False) as helper:
            return _read(client, helper)
    except docker.errors.ImageNotFound:
        return None  # no image to look with: a preview before the image is pulled


def write_tls_set(client: DockerClient, registry: RegistryConfig, owner: str, tls: TlsSet) -> None:
    volume = registry_volume_name(registry)
    if inspect_volume(client, volume) is None:  # Pulumi's Volume takes a volume of its name over
        client.api.create_volume(volume, labels=registry_labels(registry, owner))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(REGISTRY_TLS_DIR.rsplit("/", 1)[1])
        folder.type, folder.mode = tarfile.DIRTYPE, 0o700
        tar.addfile(folder)
        for name, text in tls.as_files().items():
            data = text.encode()
            info = tarfile.TarInfo(f"{folder.name}/{name}")
            info.size, info.mode = len(data), 0o600 if name.endswith(".key") else 0o644
            tar.addfile(info, io.BytesIO(data))
    with _helper(client, registry, volume) as helper:
        if not client.api.put_archive(helper, REGISTRY_DATA_PATH, buffer.getvalue()):
            raise RuntimeError(f"could not write the registry's certificates into volume {volume!r}")


def _read(client: DockerClient, container: str) -> Optional[TlsSet]:
    import docker

    try:
        stream, _ = client.api.get_archive(container, REGISTRY_TLS_DIR)
    except docker.errors.NotFound:
        return None
    found = {}
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member) if member.isfile() else None
            if data is not None:
                found[member.name.rsplit("/", 1)[-1]] = data.read().decode("ascii", "replace")
    if not all(name in found for name in REGISTRY_TLS_FILES):
        return None  # half written (an interrupted first up): made anew
    return TlsSet(found["ca.crt"], found["ca.key"], found["server.crt"], found["server.key"])


class _helper:
    """A created (never started) container of the registry's image with the volume mounted:
    Docker's archive API reads and writes a volume through it."""

    def __init__(self, client: DockerClient, registry: RegistryConfig, volume: str, pull: bool = True):
        self.client, self.registry, self.volume, self.pull = client, registry, volume, pull
        self.name = f"{registry.name}-kindplane-tls"

    def __enter__(self) -> str:
        import docker

        client = self.client
        try:
            client.api.remove_container(self.name, force=True)  # left by an interrupted run
        except docker.errors.NotFound:
            pass
        try:
            client.images.get(self.registry.image)
        except docker.errors.ImageNotFound:
            if not self.pull:
                raise
            client.images.pull(self.registry.image)  # what the program's RemoteImage does next anyway
        created = client.api.create_container(
            self.registry.image,
            name=self.name,
            labels={LABEL_MANAGED_BY: "kindplane"},
            host_config=client.api.create_host_config(binds={self.volume: {"bind": REGISTRY_DATA_PATH, "mode": "rw"}}),
        )
        return created["Id"]

    def __exit__(self, *exc: object) -> None:
        import docker

        try:
            self.client.api.remove_container(self.name, force=True)
        except docker.errors.NotFound:
            pass
