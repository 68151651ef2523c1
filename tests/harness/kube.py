"""Talk to a stand-in cluster's real API server with nothing but its kubeconfig (as kubectl would)."""

from __future__ import annotations

import base64
import ssl
import tempfile
from pathlib import Path
from typing import Optional

import httpx
import yaml


class KubeClient:
    def __init__(self, kubeconfig: str):
        config = yaml.safe_load(kubeconfig)
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        self.server = cluster["server"].rstrip("/")
        ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        self.headers = {}
        if user.get("token"):
            self.headers["Authorization"] = f"Bearer {user['token']}"
        if user.get("client-certificate-data"):
            folder = Path(tempfile.mkdtemp(prefix="kpt-kube-"))
            (folder / "crt").write_bytes(base64.b64decode(user["client-certificate-data"]))
            (folder / "key").write_bytes(base64.b64decode(user["client-key-data"]))
            ctx.load_cert_chain(folder / "crt", folder / "key")
        self.ssl = ctx

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.server + path, headers=self.headers, verify=self.ssl, timeout=10)

    def configmap(self, namespace: str, name: str) -> Optional[dict]:
        response = self.get(f"/api/v1/namespaces/{namespace}/configmaps/{name}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def create_configmap(self, namespace: str, name: str, data: dict[str, str]) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": data,
        }
        response = httpx.post(
            f"{self.server}/api/v1/namespaces/{namespace}/configmaps",
            json=body,
            headers=self.headers,
            verify=self.ssl,
            timeout=10,
        )
        response.raise_for_status()

    def delete_configmap(self, namespace: str, name: str) -> None:
        response = httpx.delete(
            f"{self.server}/api/v1/namespaces/{namespace}/configmaps/{name}",
            headers=self.headers,
            verify=self.ssl,
            timeout=10,
        )
        response.raise_for_status()
