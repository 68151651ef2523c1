"""With etcd and kube-apiserver on PATH, a stand-in cluster has a real API server.

`kind create cluster` starts both on 127.0.0.1, `kind get kubeconfig` points at them, and
`kind delete cluster` stops them. Without the binaries the test skips locally; with CI=true
the conftest turns that skip into a failure.
"""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from harness import apiserver
from harness.names import unique_name
from harness.shell import run_shell

VERSIONS = Path(__file__).resolve().parents[1] / "harness" / "toolchain" / "versions.env"


def pinned(variable: str) -> str:
    for line in VERSIONS.read_text().splitlines():
        if line.startswith(f"{variable}="):
            return line.split("=", 1)[1].strip()
    raise KeyError(variable)


@pytest.fixture
def apiserver_binaries(monkeypatch, tmp_path):
    """The binaries first on PATH (the stand-in looks them up there) and a private state dir."""
    from harness.engine import load_toolchain_env

    problem = load_toolchain_env()  # the toolchain's bin folders onto PATH (toolchain.sh)
    if problem and not all(shutil.which(binary) for binary in apiserver.BINARIES):
        pytest.skip(problem)
    monkeypatch.setenv(apiserver.STATE_ENV, str(tmp_path / "state"))
    monkeypatch.setenv(apiserver.ENABLED_ENV, "1")


def test_a_cluster_serves_configmaps_in_kube_public_and_delete_stops_its_servers(
    cluster_factory, apiserver_binaries, tmp_path
):
    name = unique_name("kpt")
    cluster_factory.names.append(name)  # deleted in teardown even if an assertion fails
    created = run_shell(f"kind create cluster --name {name}", timeout=300)
    assert created.returncode == 0, created.stderr
    assert "API server ready at https://127.0.0.1:" in created.stderr

    got = run_shell(f"kind get kubeconfig --name {name}")
    assert got.returncode == 0, got.stderr
    kubeconfig = yaml.safe_load(got.stdout)
    assert kubeconfig["current-context"] == f"kind-{name}"
    (cluster,) = kubeconfig["clusters"]
    (user,) = kubeconfig["users"]
    assert cluster["name"] == user["name"] == f"kind-{name}"
    server = cluster["cluster"]["server"]
    assert server.startswith("https://127.0.0.1:")
    ca = base64.b64decode(cluster["cluster"]["certificate-authority-data"]).decode()
    verify = ssl.create_default_context(cadata=ca)  # the server must pass TLS verification

    # As kind's: the admin's client certificate and key, no token; the server accepts them.
    assert sorted(user["user"]) == ["client-certificate-data", "client-key-data"]
    for field, file in (("client-certificate-data", "admin.crt"), ("client-key-data", "admin.key")):
        (tmp_path / file).write_bytes(base64.b64decode(user["user"][field]))
    subject = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-in", str(tmp_path / "admin.crt")], capture_output=True, text=True
    ).stdout
    assert "CN = kubernetes-admin" in subject and "O = kubeadm:cluster-admins" in subject
    verify.load_cert_chain(tmp_path / "admin.crt", tmp_path / "admin.key")

    configmap = unique_name("kpt-cm")
    with httpx.Client(base_url=server, verify=verify, trust_env=False, timeout=30) as client:
        assert client.get("/api/v1/namespaces/kube-public").status_code == 200  # authenticated by the certificate
        assert client.get("/version").json()["gitVersion"] == f"v{pinned('KUBERNETES_VERSION')}"
        made = client.post(
            "/api/v1/namespaces/kube-public/configmaps",
            json={
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": configmap, "namespace": "kube-public"},
                "data": {"registry": "localhost:5001"},
            },
        )
        assert made.status_code == 201, made.text
        read = client.get(f"/api/v1/namespaces/kube-public/configmaps/{configmap}")
        assert read.status_code == 200, read.text
        assert read.json()["data"] == {"registry": "localhost:5001"}

    directory = apiserver.cluster_dir(name)
    pids = apiserver.pids(name)
    assert sorted(pids) == sorted(apiserver.BINARIES)
    assert all(apiserver.running(pid, directory) for pid in pids.values())  # they outlived `kind`

    deleted = run_shell(f"kind delete cluster --name {name}")
    assert deleted.returncode == 0, deleted.stderr
    assert not any(apiserver.running(pid, directory) for pid in pids.values())
    assert not directory.exists()
    assert run_shell(f"kind get kubeconfig --name {name}").returncode == 1
