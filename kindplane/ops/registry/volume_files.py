"""Files kindplane keeps in the registry's data volume (`<name>-data`) beside the images: the
HTTPS registry's certificates (tls_material) and the htpasswd file (auth_material).

Whatever keeps the images keeps these files. Reading goes through Docker's archive API on the
registry container, or on a short-lived helper container on the volume when there is none.
"""

from __future__ import annotations

import io
import tarfile
from typing import TYPE_CHECKING, Mapping, Optional

from ...core.naming import LABEL_MANAGED_BY, REGISTRY_DATA_PATH, registry_labels, registry_volume_name
from ..docker_lookup import inspect_container, inspect_volume, read_archive

if TYPE_CHECKING:
    from docker import DockerClient

    from ...core.config import RegistryConfig


def read_volume_dir(client: DockerClient, registry: RegistryConfig, directory: str) -> Optional[dict[str, str]]:
    """The files of `directory` (under the volume's mount point) → their text; None when the
    volume or the directory is not there (or no image is there to look with: a first preview)."""
    import docker

    volume = registry_volume_name(registry)
    attrs = inspect_container(client, registry.name)
    mounted = attrs is not None and any(
        m.get("Name") == volume and m.get("Destination") == REGISTRY_DATA_PATH for m in attrs.get("Mounts") or []
    )
    if mounted:
        assert attrs is not None
        return _read(client, attrs["Id"], directory)
    if inspect_volume(client, volume) is None:
        return None
    try:
        with _helper(client, registry, volume, pull=False) as helper:
            return _read(client, helper, directory)
    except docker.errors.ImageNotFound:
        return None


def write_volume_dir(
    client: DockerClient, registry: RegistryConfig, owner: str, directory: str, files: Mapping[str, str]
) -> None:
    """Writes `files` into `directory` (made 0700); a file named *.key or htpasswd is made 0600."""
    volume = registry_volume_name(registry)
    if inspect_volume(client, volume) is None:  # Pulumi's Volume takes a volume of its name over
        client.api.create_volume(volume, labels=registry_labels(registry, owner))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(directory.rsplit("/", 1)[1])
        folder.type, folder.mode = tarfile.DIRTYPE, 0o700
        tar.addfile(folder)
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{folder.name}/{name}")
            private = name.endswith(".key") or name == "htpasswd"
            info.size, info.mode = len(data), 0o600 if private else 0o644
            tar.addfile(info, io.BytesIO(data))
    parent = directory.rsplit("/", 1)[0]
    with _helper(client, registry, volume) as helper:
        if not client.api.put_archive(helper, parent, buffer.getvalue()):
            raise RuntimeError(f"could not write {directory} into the registry's volume {volume!r}")


def _read(client: DockerClient, container: str, directory: str) -> Optional[dict[str, str]]:
    found = read_archive(client, container, directory)
    return None if found is None else {name.rsplit("/", 1)[-1]: text for name, text in found.items()}


class _helper:
    """A created (never started) container of the registry's image with the volume mounted:
    Docker's archive API reads and writes a volume through it."""

    def __init__(self, client: DockerClient, registry: RegistryConfig, volume: str, pull: bool = True):
        self.client, self.registry, self.volume, self.pull = client, registry, volume, pull
        self.name = f"{registry.name}-kindplane-files"

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
