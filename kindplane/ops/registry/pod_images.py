"""The images the cluster's pods use, read from its API server: what prune must not remove.

A pod that is not finished (phase other than Succeeded/Failed) may still pull its image (a
restart, a new node), so its images count as in use even when it is Pending. References are
normalized the way containerd reads them: no host means docker.io, a one-part Docker Hub path
means library/<path>.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Iterable, Optional

from ...core.image_ref import ImageRefError, parse_image_ref
from ..tools import find_kind, search_path

DOCKER_HUB = "docker.io"
_HUB_ALIASES = {None, "docker.io", "index.docker.io", "registry-1.docker.io"}
FINISHED = ("Succeeded", "Failed")
KUBECTL_TIMEOUT = 20


class PodsUnknown(RuntimeError):
    """The cluster exists but its pods could not be read; str() says why."""


@dataclass(frozen=True)
class ImageUse:
    pod: str  # namespace/name
    host: str  # normalized registry host ("docker.io", "localhost:5001", "kind-registry:5000")
    repository: str
    tag: Optional[str]
    digest: Optional[str]

    def __str__(self) -> str:
        return (
            f"{self.host}/{self.repository}"
            + (f":{self.tag}" if self.tag else "")
            + (f"@{self.digest}" if self.digest else "")
        )


def normalize(reference: str) -> Optional[tuple[str, str, Optional[str], Optional[str]]]:
    """(host, repository, tag, digest) as containerd resolves `reference`; None if unparsable."""
    reference = reference.removeprefix("docker-pullable://")
    if reference.startswith("sha256:"):
        return None  # an image ID (a loaded image) names no repository
    try:
        ref = parse_image_ref(reference)
    except ImageRefError:
        return None
    host, path = ref.host, ref.path
    if host in _HUB_ALIASES:
        host = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    tag = ref.tag or (None if ref.digest else "latest")
    return host or DOCKER_HUB, path, tag, ref.digest


def images_of_pods(pods: dict) -> list[ImageUse]:
    """Every image an unfinished pod names (spec) or runs (status imageID), from `get pods -o json`."""
    uses: list[ImageUse] = []
    for pod in pods.get("items") or []:
        status = pod.get("status") or {}
        if status.get("phase") in FINISHED:
            continue
        meta = pod.get("metadata") or {}
        name = f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"
        spec = pod.get("spec") or {}
        references = [
            c.get("image")
            for key in ("initContainers", "containers", "ephemeralContainers")
            for c in spec.get(key) or []
        ]
        references += [
            c.get("imageID")
            for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
            for c in status.get(key) or []
        ]
        for reference in references:
            parsed = normalize(reference) if reference else None
            if parsed is not None:
                uses.append(ImageUse(name, *parsed))
    return uses


def protected_for(uses: Iterable[ImageUse], hosts: Iterable[str]) -> dict[tuple[str, str], str]:
    """{(repository, tag or digest): pod} for the uses that name one of `hosts` (a registry's addresses)."""
    wanted = set(hosts)
    found: dict[tuple[str, str], str] = {}
    for use in uses:
        if use.host not in wanted:
            continue
        for reference in (use.tag, use.digest):
            if reference:
                found.setdefault((use.repository, reference), use.pod)
    return found


def read_pods(cluster_name: str) -> Optional[dict]:
    """`kubectl get pods -A -o json` on the cluster; None when no such kind cluster exists (then no
    pod can run); PodsUnknown when it exists but does not answer."""
    kind = find_kind()
    if kind is None:
        raise PodsUnknown("kind is not installed, so the cluster's kubeconfig cannot be read")
    env = {**os.environ, "PATH": search_path()}
    got = subprocess.run(
        [kind, "get", "kubeconfig", "--name", cluster_name],
        capture_output=True,
        text=True,
        env=env,
        timeout=KUBECTL_TIMEOUT,
    )
    if got.returncode != 0:
        nodes = subprocess.run(
            [kind, "get", "nodes", "--name", cluster_name],
            capture_output=True,
            text=True,
            env=env,
            timeout=KUBECTL_TIMEOUT,
        )
        if nodes.returncode == 0 and not nodes.stdout.strip():
            return None  # no cluster: nothing runs
        raise PodsUnknown(f"`kind get kubeconfig --name {cluster_name}` failed: {_last_line(got.stderr)}")
    with tempfile.NamedTemporaryFile("w", suffix=".kubeconfig") as handle:
        handle.write(got.stdout)
        handle.flush()
        try:
            done = subprocess.run(
                ["kubectl", "--kubeconfig", handle.name, "--request-timeout=10s", "get", "pods", "-A", "-o", "json"],
                capture_output=True,
                text=True,
                timeout=KUBECTL_TIMEOUT,
            )
        except FileNotFoundError:
            raise PodsUnknown("kubectl is not installed") from None
        except subprocess.TimeoutExpired:
            raise PodsUnknown(f"the API server of {cluster_name} did not answer") from None
    if done.returncode != 0:
        raise PodsUnknown(f"the API server of {cluster_name} did not answer: {_last_line(done.stderr)}")
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise PodsUnknown("kubectl printed no JSON") from None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
