"""The named volume every kept container (the registry, each mirror) keeps its data in."""

from __future__ import annotations

from typing import Mapping

import pulumi
import pulumi_docker as docker


def data_volume(
    resource_name: str, volume_name: str, labels: Mapping[str, str], persistent: bool, parent: pulumi.Resource
) -> docker.Volume:
    """The named volume a kept container's data lives in, persistent or not.

    Kept on `down` when persistent. `docker volume create` of an existing name returns it, so a
    kept volume is picked up again. Its labels are written once (ignore_changes): a change would
    replace the volume, and a replacement deletes the data.
    """
    return docker.Volume(
        resource_name,
        name=volume_name,
        labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in labels.items()],
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=persistent, ignore_changes=["labels"]),
    )
