"""doctor's fix for a stopped daemon fits the runtime and platform found (kindplane.ops.docker_start)."""

from __future__ import annotations

import pytest

from kindplane.ops.docker_endpoint import DockerEndpoint
from kindplane.ops.docker_start import Platform, start_hint

LINUX_SYSTEMD = Platform("linux", systemd=True, wsl=False)
LINUX_BARE = Platform("linux", systemd=False, wsl=False)
LINUX_SYSV = Platform("linux", systemd=False, wsl=False, init_script=True)
WSL = Platform("linux", systemd=False, wsl=True)
MAC = Platform("darwin", systemd=False, wsl=False)


@pytest.mark.parametrize(
    "host, platform, fix",
    [
        ("unix:///var/run/docker.sock", LINUX_SYSTEMD, "sudo systemctl start docker"),
        ("unix:///var/run/docker.sock", LINUX_SYSV, "sudo service docker start"),
        ("unix:///var/run/docker.sock", LINUX_BARE, "sudo dockerd &"),
        ("unix:///run/user/1000/docker.sock", LINUX_SYSTEMD, "systemctl --user start docker"),
        ("unix:///run/user/1000/podman/podman.sock", LINUX_SYSTEMD, "systemctl --user start podman.socket"),
        ("unix:///run/podman/podman.sock", LINUX_SYSTEMD, "sudo systemctl start podman.socket"),
        ("unix:///var/folders/x/T/podman/podman-machine-default-api.sock", MAC, "podman machine start"),
        ("unix:///Users/me/.colima/default/docker.sock", MAC, "colima start"),
        ("unix:///Users/me/.colima/work/docker.sock", MAC, "colima start --profile work"),
        ("unix:///Users/me/.orbstack/run/docker.sock", MAC, "orb start"),
        ("unix:///Users/me/.rd/docker.sock", MAC, "start Rancher Desktop"),
        ("unix:///Users/me/.docker/run/docker.sock", MAC, "open -a Docker"),
        ("unix:///var/run/docker.sock", MAC, "open -a Docker"),
        ("unix:///home/me/.docker/desktop/docker.sock", LINUX_SYSTEMD, "start Docker Desktop"),
        ("npipe:////./pipe/docker_engine", Platform("win32", False, False), "start Docker Desktop"),
        (
            "unix:///var/run/docker.sock",
            WSL,
            "start Docker Desktop (Settings → Resources → WSL integration), or `sudo service docker start` for "
            "Docker Engine inside WSL",
        ),
        (
            "tcp://build-box.lan:2376",
            LINUX_SYSTEMD,
            "start the Docker daemon on build-box.lan (kindplane reaches it at tcp://build-box.lan:2376)",
        ),
        ("ssh://me@10.0.0.7", MAC, "start the Docker daemon on 10.0.0.7 (kindplane reaches it at ssh://me@10.0.0.7)"),
    ],
)
def test_the_fix_for_a_stopped_daemon_names_how_that_runtime_starts(host, platform, fix):
    assert start_hint(DockerEndpoint(host, "DOCKER_HOST"), platform) == fix
