"""Pull-through mirrors for the Docker tests: the program's mirror resources, and a stand-in upstream.

No public registry is reachable here, so an ordinary registry:2 container on the kind network plays
the upstream (docker.io): images pushed into it are what the mirror proxies and caches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from support.pulumi_mocks import COMMAND, CONTAINER, run_program

from kindplane.core.components.mirror import mirror_hosts_resource
from kindplane.core.config import KindplaneConfig, parse_config
from kindplane.core.naming import node_names
from kindplane.program import build

from .docker_env import docker
from .fixtures import push_to
from .images import REGISTRY_TAG
from .names import free_port
from .program_commands import ShellCommand, _command
from .registry import docker_run_argv, remove_container, wait_for_registry


@dataclass(frozen=True)
class MirrorProgram:
    config: KindplaneConfig
    kind: ShellCommand
    containers: dict[str, dict]  # mirror name → mocked Container inputs
    hosts_toml: dict[tuple[str, str], ShellCommand]  # (mirror name, node) → write/remove


def mirror_program(text: str, environ: dict | None = None) -> MirrorProgram:
    """The program's resources for `text` (nothing kept to adopt), read under Pulumi's mocks."""
    config = parse_config(text, "test.yaml")
    run = run_program(lambda: build(config, lambda c, o: {}, environ=environ or {}))
    commands = {r.name: r for r in run.of_type(COMMAND)}
    hosts = {
        (mirror.name, node): _command(commands[mirror_hosts_resource(mirror, node)])
        for mirror in config.cluster.mirrors
        for node in node_names(config.cluster)
    }
    return MirrorProgram(
        config=config,
        kind=_command(commands["kindplane-cluster-kind"]),
        containers={r.inputs["name"]: dict(r.inputs) for r in run.of_type(CONTAINER) if r.inputs.get("name")},
        hosts_toml=hosts,
    )


def run_mirror(inputs: dict, timeout: float = 30, image: str = REGISTRY_TAG) -> str:
    """Starts the mirror the Container inputs describe (under mocks the image is a fake ID: name the
    real one, e.g. "registry:3"); returns its ID once /v2/ answers inside."""
    container_id = docker(*docker_run_argv(inputs, image)[1:]).stdout.strip()
    deadline = time.monotonic() + timeout
    while (
        docker(
            "exec", inputs["name"], "wget", "-q", "-O", "/dev/null", "http://localhost:5000/v2/", check=False
        ).returncode
        != 0
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"mirror {inputs['name']} did not answer /v2/")
        time.sleep(0.2)
    return container_id


@dataclass
class Upstream:
    """A plain registry:2 on the kind network (as `name:5000`) and on 127.0.0.1:<port> for pushes."""

    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.name}:5000"

    def push(self, local_image: str, repo: str) -> str:
        return push_to(f"localhost:{self.port}", local_image, repo)

    def stop(self) -> None:
        docker("stop", self.name)

    def remove(self) -> None:
        remove_container(self.name)


def start_upstream(name: str, network: str = "kind", image: str = REGISTRY_TAG) -> Upstream:
    port = free_port()
    docker("run", "-d", "--name", name, "--network", network, "--publish", f"127.0.0.1:{port}:5000", image)
    wait_for_registry(port)
    return Upstream(name, port)


def mirror_blobs(name: str) -> set[str]:
    """The sha256 digests a registry container holds on disk (what its cache keeps)."""
    out = docker(
        "exec", name, "find", "/var/lib/registry/docker/registry/v2/blobs", "-name", "data", check=False
    ).stdout
    return {"sha256:" + line.split("/")[-2] for line in out.split()}
