"""A real etcd + kube-apiserver for a stand-in kind cluster (used when both are on PATH).

The stand-in nodes run no kubelet, but a program that applies manifests only needs an API
server. So `kind create cluster` also starts etcd and kube-apiserver on 127.0.0.1 of this
machine, each cluster with its own free ports, certificates and data under
`$KINDPLANE_HARNESS_STATE/apiservers/<cluster>/` (default /tmp/kindplane-harness). They run in
their own session with pid files, because `kind` exits right after creating the cluster and the
servers must outlive it; `kind delete cluster` stops them and removes that directory.

Users authenticate as kind's do, with the admin client certificate in the kubeconfig; the harness's
own readiness probes use a static bearer token. Authorization is AlwaysAllow: tests want a working
API, not RBAC. Every certificate is signed by a per-cluster CA made with `openssl`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from .names import ephemeral_port

STATE_ENV = "KINDPLANE_HARNESS_STATE"
# "0": clusters get no API server even with the binaries on PATH. The suite sets it for tests that
# never talk to one (booting etcd + kube-apiserver costs seconds of CPU per cluster).
ENABLED_ENV = "KINDPLANE_HARNESS_APISERVER"
BINARIES = ("etcd", "kube-apiserver")
READY_TIMEOUT = 180.0  # a cold kube-apiserver on a busy 2-core machine can take a while
STOP_TIMEOUT = 20.0


class ApiServerError(Exception):
    pass


def available() -> bool:
    """Both binaries on PATH and not switched off: only then does the stand-in start an API server."""
    return os.environ.get(ENABLED_ENV) != "0" and all(shutil.which(binary) for binary in BINARIES)


def cluster_dir(name: str) -> Path:
    root = os.environ.get(STATE_ENV) or os.path.join(tempfile.gettempdir(), "kindplane-harness")
    return Path(root) / "apiservers" / name


def endpoint(name: str) -> Optional[dict]:
    """{"server", "token", "ca", "client_cert", "client_key"} (PEM text) of the cluster's API
    server, or None. The token is the harness's own; kubeconfigs carry the client certificate."""
    directory = cluster_dir(name)
    try:
        info = json.loads((directory / "endpoint.json").read_text())
        info["ca"] = (directory / "ca.crt").read_text()
        info["client_cert"] = (directory / "admin.crt").read_text()
        info["client_key"] = (directory / "admin.key").read_text()
    except FileNotFoundError:
        return None
    return info


def pids(name: str) -> dict[str, int]:
    """{binary: pid} from the pid files of the cluster's processes."""
    found = {}
    for binary in BINARIES:
        try:
            found[binary] = int((cluster_dir(name) / f"{binary}.pid").read_text())
        except (FileNotFoundError, ValueError):
            pass
    return found


def running(pid: int, directory: Path) -> bool:
    """The pid is alive and still one of ours: its argv names our directory (pids get reused).
    A zombie counts as gone: once `kind` has exited, nobody here may reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z" and str(directory) in cmdline


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ApiServerError(f"openssl {args[0]} failed: {result.stderr.strip()}")


EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30"]


def _signed_by_ca(directory: Path, stem: str, subject: str, *extensions: str) -> None:
    """<stem>.key and <stem>.crt, a leaf certificate the harness CA signs."""
    added = [arg for ext in ("basicConstraints=critical,CA:FALSE", *extensions) for arg in ("-addext", ext)]
    _openssl(
        "req", "-x509", "-CA", "ca.crt", "-CAkey", "ca.key", *EC_KEY,
        "-keyout", f"{stem}.key", "-out", f"{stem}.crt", "-subj", subject, *added, cwd=directory,
    )  # fmt: skip


def _make_pki(directory: Path, name: str) -> None:
    """CA, serving cert (127.0.0.1, localhost, the node name kind's cert has), SA key pair."""
    _openssl(
        "req",
        "-x509",
        *EC_KEY,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        f"/CN=kindplane-harness-ca-{name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )
    _signed_by_ca(
        directory,
        "apiserver",
        "/CN=kube-apiserver",
        f"subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:{name}-control-plane",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
    )
    # The admin's client certificate, as kubeadm makes it for kind's kubeconfig.
    _signed_by_ca(
        directory,
        "admin",
        "/O=kubeadm:cluster-admins/CN=kubernetes-admin",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=clientAuth",
    )
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "sa.key", cwd=directory)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=directory)


def _spawn(directory: Path, binary: str, argv: list[str]) -> None:
    """Detached: own session (no SIGHUP/Ctrl-C from the caller's group), output to a log file
    (never to the caller's pipes, or `kind`'s caller would wait for EOF forever)."""
    with open(directory / f"{binary}.log", "ab") as log:
        proc = subprocess.Popen(
            [binary, *argv],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (directory / f"{binary}.pid").write_text(f"{proc.pid}\n")


def start(name: str) -> None:
    """Starts etcd and kube-apiserver for cluster `name` without waiting (see wait_ready)."""
    directory = cluster_dir(name)
    stop(name)  # a leftover of an earlier run whose nodes are gone
    directory.mkdir(parents=True)
    _make_pki(directory, name)
    token = secrets.token_hex(24)
    (directory / "tokens.csv").write_text(f"{token},kindplane-admin,kindplane-admin,system:masters\n")
    client, peer, secure = ephemeral_port(), ephemeral_port(), ephemeral_port()
    etcd_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    started = time.time()
    _spawn(
        directory,
        "etcd",
        [
            "--name",
            name,
            "--data-dir",
            str(directory / "etcd"),
            "--listen-client-urls",
            etcd_url,
            "--advertise-client-urls",
            etcd_url,
            "--listen-peer-urls",
            peer_url,
            "--initial-advertise-peer-urls",
            peer_url,
            "--initial-cluster",
            f"{name}={peer_url}",
            "--unsafe-no-fsync",  # throw-away test data: fsync only slows the shared disk down
        ],
    )
    _spawn(
        directory,
        "kube-apiserver",
        [
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            f"--secure-port={secure}",
            "--advertise-address=127.0.0.1",
            f"--cert-dir={directory / 'certs'}",
            f"--tls-cert-file={directory / 'apiserver.crt'}",
            f"--tls-private-key-file={directory / 'apiserver.key'}",
            f"--token-auth-file={directory / 'tokens.csv'}",  # the harness's own probes
            f"--client-ca-file={directory / 'ca.crt'}",  # the kubeconfig's client certificate
            "--authorization-mode=AlwaysAllow",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={directory / 'sa.pub'}",
            f"--service-account-signing-key-file={directory / 'sa.key'}",
            "--service-cluster-ip-range=10.96.0.0/16",  # kind's default
            # The `kubernetes` Endpoints may not hold a loopback address: don't reconcile them.
            "--endpoint-reconciler-type=none",
        ],
    )
    server = f"https://127.0.0.1:{secure}"
    info = {"server": server, "token": token, "started": started}
    (directory / "endpoint.json").write_text(json.dumps(info) + "\n")


def _get(url: str, token: str, context: ssl.SSLContext) -> int:
    # No proxies: the server is on loopback whatever HTTPS_PROXY says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with opener.open(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _log_tail(directory: Path, binary: str) -> str:
    try:
        return (directory / f"{binary}.log").read_text(errors="replace")[-3000:]
    except FileNotFoundError:
        return "(no log)"


def wait_ready(name: str, timeout: float = READY_TIMEOUT) -> float:
    """Waits for /readyz and for the `kube-public` namespace (its controller creates the
    default namespaces just after the server turns ready); returns the seconds since start()."""
    directory, info = cluster_dir(name), endpoint(name)
    if info is None:
        raise ApiServerError(f"no API server was started for cluster {name!r}")
    context = ssl.create_default_context(cafile=str(directory / "ca.crt"))
    deadline = time.monotonic() + timeout
    for path in ("/readyz", "/api/v1/namespaces/kube-public"):
        while True:
            for binary, pid in pids(name).items():
                if not running(pid, directory):
                    raise ApiServerError(f"{binary} exited during start-up:\n{_log_tail(directory, binary)}")
            try:
                if _get(info["server"] + path, info["token"], context) == 200:
                    break
            except (OSError, urllib.error.URLError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise ApiServerError(
                    f"{path} not ready after {timeout:.0f} s:\n{_log_tail(directory, 'kube-apiserver')}"
                )
            time.sleep(0.25)
    return time.time() - info["started"]


def stop(name: str) -> bool:
    """Stops the cluster's kube-apiserver, then its etcd, and removes its directory.
    Returns whether there was anything to stop; a no-op for a cluster without API server."""
    directory = cluster_dir(name)
    if not directory.exists():
        return False
    for binary in ("kube-apiserver", "etcd"):  # the API server first: it writes to etcd
        pid = pids(name).get(binary)
        if pid is None or not running(pid, directory):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while running(pid, directory) and time.monotonic() < deadline:
            time.sleep(0.1)
        if running(pid, directory):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while running(pid, directory):
                time.sleep(0.05)
    shutil.rmtree(directory, ignore_errors=True)
    return True
