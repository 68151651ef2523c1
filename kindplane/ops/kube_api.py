"""A cluster's API server reached with nothing but its kubeconfig, as kubectl would reach it.

Enough for what kindplane reads: whether the server answers, and one ConfigMap. The admin client
key is written to a private temporary folder only for the TLS handshake (Python's ssl loads client
certificates from files) and removed with it.
"""

from __future__ import annotations

import base64
import functools
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import httpx


class KubeUnreachable(Exception):
    """Nothing answers at the kubeconfig's server (or the kubeconfig cannot be read)."""


@dataclass(frozen=True)
class KubeConfig:
    server: str
    ca: Optional[str]  # PEM
    client_cert: Optional[bytes]
    client_key: Optional[bytes]
    token: Optional[str]


def parse_kubeconfig(text: str) -> Optional[KubeConfig]:
    """The current context's server and credentials; None when the text is not a usable kubeconfig."""
    import yaml

    try:
        config = yaml.safe_load(text)
        contexts = {c["name"]: c["context"] for c in config.get("contexts") or []}
        context = contexts.get(config.get("current-context")) or next(iter(contexts.values()), None) or {}
        clusters = {c["name"]: c["cluster"] for c in config["clusters"]}
        cluster = clusters.get(context.get("cluster")) or config["clusters"][0]["cluster"]
        users = {u["name"]: u.get("user") or {} for u in config.get("users") or []}
        user = users.get(context.get("user"), {})
        ca = cluster.get("certificate-authority-data")
        cert, key = user.get("client-certificate-data"), user.get("client-key-data")
        return KubeConfig(
            server=str(cluster["server"]).rstrip("/"),
            ca=base64.b64decode(ca).decode() if ca else None,
            client_cert=base64.b64decode(cert) if cert else None,
            client_key=base64.b64decode(key) if key else None,
            token=user.get("token"),
        )
    except (yaml.YAMLError, KeyError, IndexError, TypeError, ValueError, AttributeError, StopIteration):
        return None


@functools.lru_cache(maxsize=8)
def _client(config: KubeConfig) -> httpx.Client:
    """One connection pool per server and credentials: up's checks and the read-back ask the same
    server twice, and each new client costs a TLS context and a handshake."""
    import httpx

    context = ssl.create_default_context(cadata=config.ca) if config.ca else ssl.create_default_context()
    if not config.ca:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with tempfile.TemporaryDirectory(prefix="kindplane-kube-") as folder:
        if config.client_cert and config.client_key:
            cert, key = Path(folder) / "client.crt", Path(folder) / "client.key"
            cert.write_bytes(config.client_cert)
            key.touch(mode=0o600)
            key.write_bytes(config.client_key)
            context.load_cert_chain(cert, key)
    headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
    return httpx.Client(verify=context, headers=headers)


def get(config: KubeConfig, path: str, timeout: float = 5.0) -> tuple[int, dict]:
    """GET `path`: (HTTP status, JSON body or {}); KubeUnreachable when nothing answers."""
    import httpx

    try:
        response = _client(config).get(config.server + path, timeout=timeout)
    except httpx.HTTPError as exc:
        raise KubeUnreachable(f"{config.server}: {exc.__class__.__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, body if isinstance(body, dict) else {}
