"""A Docker client that answers adoption's look-ups from fixed inspect data (no daemon)."""
from __future__ import annotations

IMAGE_ID = "sha256:" + "a" * 64  # what `registry:2` resolves to locally


class FakeDocker:
    """Answers the look-ups adoption makes, from fixed inspect data."""

    def __init__(self, container, volume=None):
        self.api = self
        self.container = container
        self.volume = volume

    def inspect_volume(self, name):
        import docker

        if self.volume is None:
            raise docker.errors.NotFound("no such volume")
        return self.volume

    def inspect_container(self, name):
        import docker

        if self.container is None:
            raise docker.errors.NotFound("no such container")
        return self.container

    def inspect_image(self, name):
        return {"Id": IMAGE_ID}
