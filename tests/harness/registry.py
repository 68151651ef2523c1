"""The program's registry Container, run with `docker run`: one translation of its inputs.

Under mocks the Container's `image` input is a fake sha (RemoteImage's mocked image_id), so the
real image is `registry:2` built by images.ensure_registry_image(). Everything else — name,
ports (with ip), restart, envs, labels, volumes, network_mode — comes from the inputs as the
docker provider would apply them.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Optional

from kindplane.core.naming import data_volume_name

from .docker_env import docker
from .images import REGISTRY_TAG


def docker_run_argv(inputs: dict, image: str = REGISTRY_TAG) -> list[str]:
    """`docker run -d …` argv for mocked docker:index/container:Container inputs (camelCase)."""
    argv = ["docker", "run", "-d", "--name", inputs["name"]]
    if inputs.get("restart"):
        argv += ["--restart", inputs["restart"]]
    if inputs.get("networkMode"):
        argv += ["--network", inputs["networkMode"]]
    for port in inputs.get("ports") or []:
        ip = port.get("ip")
        external, internal = int(port["external"]), int(port["internal"])
        protocol = port.get("protocol", "tcp")
        argv += ["--publish", f"{ip + ':' if ip else ''}{external}:{internal}/{protocol}"]
    for env in inputs.get("envs") or []:
        argv += ["--env", env]
    for option in inputs.get("dnsOpts") or []:
        argv += ["--dns-opt", option]
    for label in inputs.get("labels") or []:
        argv += ["--label", f"{label['label']}={label['value']}"]
    for volume in inputs.get("volumes") or []:
        source = volume.get("volumeName") or volume.get("hostPath")
        mode = ":ro" if volume.get("readOnly") else ""
        argv += ["--volume", f"{source}:{volume['containerPath']}{mode}"]
    entrypoint = list(inputs.get("entrypoints") or [])
    if entrypoint:  # the docker CLI takes the entrypoint's first word; the rest go after the image
        argv += ["--entrypoint", entrypoint[0]]
    return argv + [image] + entrypoint[1:] + list(inputs.get("command") or [])


def create_volume(inputs: dict) -> str:
    """`docker volume create` from mocked docker:index/volume:Volume inputs (returns the name)."""
    argv = ["volume", "create"]
    for label in inputs.get("labels") or []:
        argv += ["--label", f"{label['label']}={label['value']}"]
    docker(*argv, inputs["name"])
    return inputs["name"]


def run_registry(inputs: dict, image: str = REGISTRY_TAG, wait: bool = True) -> str:
    """Starts the container the inputs describe; returns its full ID after /v2/ answers."""
    container_id = docker(*docker_run_argv(inputs, image)[1:]).stdout.strip()
    if wait:
        for port in inputs.get("ports") or []:
            wait_for_registry(int(port["external"]))
    return container_id


def registry_get(port: int, path: str, timeout: float = 5) -> tuple[int, dict]:
    """GET http://localhost:PORT/PATH → (status, JSON body)."""
    with urllib.request.urlopen(f"http://localhost:{port}{path}", timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"{}")


def wait_for_registry(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            registry_get(port, "/v2/")
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"registry on localhost:{port} did not answer: {exc}") from None
            time.sleep(0.1)


def run_as_kinds_script(name: str, port: int) -> None:
    """The guide's command (kind's registry script), with the given name and port instead of
    kind-registry:5001; returns once the registry answers."""
    docker(
        "run", "-d", "--restart=always", "-p", f"127.0.0.1:{port}:5000", "--network", "bridge", "--name", name,
        "registry:2",
    )  # fmt: skip
    wait_for_registry(port)


def remove_container(name: str) -> None:
    """`docker rm -f -v` (anonymous volumes only; named volumes stay)."""
    docker("rm", "-f", "-v", name, check=False)


def remove_volume(name: str) -> None:
    docker("volume", "rm", "-f", name, check=False)


def remove_registry(name: str) -> None:
    """A registry the program's inputs made: the container and the named volume its images are in."""
    remove_container(name)
    remove_volume(data_volume_name(name))


def port_bindings(name: str) -> dict:
    """HostConfig.PortBindings of a container, as Docker reports it."""
    out = docker("inspect", "-f", "{{json .HostConfig.PortBindings}}", name).stdout
    return json.loads(out)


def inspect(name: str) -> Optional[dict]:
    result = docker("inspect", name, check=False)
    return json.loads(result.stdout)[0] if result.returncode == 0 else None


def destroy_registry(commands) -> None:
    """What destroy ("down") does to the registry resources the program registered: the docker
    provider deletes the container (force, with anonymous volumes) and the volume unless they
    are retain_on_delete; retained ones are only dropped from state and left running."""
    inputs = commands.registry_container
    if inputs is not None and not commands.registry_container_retained:
        docker("rm", "-f", "-v", inputs["name"], check=False)
    if commands.registry_volume is not None and not commands.registry_volume_retained:
        docker("volume", "rm", commands.registry_volume["name"], check=False)
