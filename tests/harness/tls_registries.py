"""Registries that speak TLS, for the TLS tests: a registry whose certificate a private CA signed
(optionally asking for a client certificate), and a TLS-intercepting proxy stand-in.

Both are the harness's registry:2 (Debian's distribution 2.8) with its own `http.tls` settings
(a config.yml copied in before it starts), on the kind network by name:

- `start_tls_registry`: serves what a plain registry pushed into its volume first (the host's
  dockerd could not push to it without trusting the CA, or at all with a client certificate);
- `start_interceptor`: what a corporate proxy does to a TLS connection — the client meets a
  certificate for the upstream's name that the proxy's own CA signed, with the upstream's content
  behind it. Here a distribution proxy (REGISTRY_PROXY_REMOTEURL) in front of a plain upstream,
  serving TLS with a certificate the "corporate" CA signed for its name.

Certificates come from support.certs (cryptography). Everything is removed by `remove()`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from support.certs import TestCA

from .docker_env import docker
from .fixtures import push_to
from .images import REGISTRY_TAG
from .names import free_port
from .registry import remove_container, remove_volume, wait_for_registry

CERTS = "/certs"


def _config(client_ca: bool, proxy: Optional[str]) -> str:
    text = (
        "version: 0.1\nlog:\n  fields:\n    service: registry\nstorage:\n  filesystem:\n"
        "    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n  tls:\n"
        f"    certificate: {CERTS}/server.crt\n    key: {CERTS}/server.key\n"
    )
    if client_ca:
        text += f"    clientcas:\n      - {CERTS}/client-ca.crt\n"
    if proxy:
        text += f"proxy:\n  remoteurl: {proxy}\n"
    return text


@dataclass
class TlsRegistry:
    name: str
    ca: TestCA  # signed its server certificate
    volume: str = ""
    extra: list[str] = field(default_factory=list)  # helper containers to remove

    @property
    def host(self) -> str:
        """What nodes pull by: its container name on the kind network, port 5000."""
        return f"{self.name}:5000"

    def remove(self) -> None:
        for name in [self.name, *self.extra]:
            remove_container(name)
        if self.volume:
            remove_volume(self.volume)


def _start(
    name: str,
    ca: TestCA,
    network: str,
    config: str,
    volume: str = "",
    client_ca: Optional[TestCA] = None,
    port: Optional[int] = None,
) -> None:
    server = ca.issue([name, "localhost", "127.0.0.1"])
    argv = ["create", "--name", name, "--network", network]
    if volume:
        argv += ["--volume", f"{volume}:/var/lib/registry"]
    if port:
        argv += ["--publish", f"127.0.0.1:{port}:5000"]
    docker(*argv, REGISTRY_TAG)
    with tempfile.TemporaryDirectory() as folder:
        certs = Path(folder) / "certs"
        certs.mkdir()
        server.write(certs, "server")
        if client_ca is not None:
            (certs / "client-ca.crt").write_text(client_ca.pem)
        (certs / "config.yml").write_text(config)
        docker("cp", str(certs), f"{name}:/")
        docker("cp", str(certs / "config.yml"), f"{name}:/etc/docker/registry/config.yml")
    docker("start", name)
    deadline = time.monotonic() + 30
    while "listening on" not in docker("logs", name, check=False).stderr:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not start: {docker('logs', name, check=False).stderr[-2000:]}")
        time.sleep(0.2)


def start_tls_registry(
    name: str, ca: TestCA, local_image: str, repo: str, client_ca: Optional[TestCA] = None, network: str = "kind"
) -> TlsRegistry:
    """A registry serving `repo` over TLS with a certificate `ca` signed for `name`; with
    `client_ca`, it refuses clients without a certificate that CA signed."""
    registry = TlsRegistry(name, ca, volume=f"{name}-data")
    seeder = f"{name}-seed"
    port = free_port()
    docker("run", "-d", "--name", seeder, "--volume", f"{registry.volume}:/var/lib/registry",
           "--publish", f"127.0.0.1:{port}:5000", REGISTRY_TAG)  # fmt: skip
    try:
        wait_for_registry(port)
        push_to(f"localhost:{port}", local_image, repo)
    finally:
        remove_container(seeder)
    _start(name, ca, network, _config(client_ca is not None, None), registry.volume, client_ca)
    return registry


def start_interceptor(
    name: str, corporate_ca: TestCA, upstream_url: str, network: str = "kind", port: Optional[int] = None
) -> TlsRegistry:
    """The upstream's content behind a certificate the corporate CA signed: what a TLS-intercepting
    proxy shows a client that reaches `https://<name>:5000` (and `https://localhost:<port>` when
    published on `port`)."""
    _start(name, corporate_ca, network, _config(False, upstream_url), port=port)
    return TlsRegistry(name, corporate_ca)
