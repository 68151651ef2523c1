"""How to start the daemon an endpoint names: the fix doctor and preflight print for "Docker is down".

`sudo systemctl start docker` is right for Docker Engine under systemd only. The socket's path tells
the runtime apart (Docker Desktop, Colima, OrbStack, Rancher Desktop, rootless Docker, Podman),
the platform tells how it is started.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

from .docker_endpoint import DockerEndpoint


@dataclass(frozen=True)
class Platform:
    system: str  # sys.platform: linux, darwin, win32
    systemd: bool  # PID 1 is systemd (/run/systemd/system exists)
    wsl: bool  # Linux inside Windows' WSL2
    init_script: bool = False  # /etc/init.d/docker (no systemd: `service` starts it)

    @classmethod
    def here(cls) -> Platform:
        try:
            wsl = "microsoft" in Path("/proc/version").read_text().lower()
        except OSError:
            wsl = False
        return cls(sys.platform, Path("/run/systemd/system").is_dir(), wsl, Path("/etc/init.d/docker").exists())


def _colima_profile(path: str) -> Optional[str]:
    found = re.search(r"/\.colima/([^/]+)/docker\.sock$", path)
    return found.group(1) if found else None


def start_hint(endpoint: DockerEndpoint, platform: Optional[Platform] = None) -> str:
    """The command (or the one action) that starts the daemon `endpoint` names."""
    platform = platform or Platform.here()
    url = urlparse(endpoint.host)
    path = url.path if url.scheme in ("unix", "") else ""
    if endpoint.remote_host or url.scheme in ("tcp", "ssh"):
        return f"start the Docker daemon on {url.hostname or endpoint.host} (kindplane reaches it at {endpoint.host})"
    if url.scheme == "npipe":
        return "start Docker Desktop"
    if "podman" in path:
        if "/podman-machine-" in path or platform.system == "darwin":
            return "podman machine start"
        return "systemctl --user start podman.socket" if "/run/user/" in path else "sudo systemctl start podman.socket"
    profile = _colima_profile(path)
    if profile is not None:
        return "colima start" if profile == "default" else f"colima start --profile {profile}"
    if "/.orbstack/" in path:
        return "orb start"
    if "/.rd/" in path:
        return "start Rancher Desktop"
    if re.search(r"^/run/user/\d+/docker\.sock$", path):
        return "systemctl --user start docker"  # rootless Docker
    if platform.system == "darwin" or "/.docker/run/" in path or "/.docker/desktop/" in path:
        return "open -a Docker" if platform.system == "darwin" else "start Docker Desktop"
    if platform.wsl:
        return (
            "start Docker Desktop (Settings → Resources → WSL integration), or `sudo service docker start` "
            "for Docker Engine inside WSL"
        )
    if platform.systemd:
        return "sudo systemctl start docker"
    return "sudo service docker start" if platform.init_script else "sudo dockerd &"
