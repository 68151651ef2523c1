"""What TLS puts on the nodes and into the mirrors: the trusted bundle, each registry's hosts.toml
and files, the kubelet's credentials file.

How a running kind node comes to trust a CA without a restart: containerd reads the system trust
store once per process (Go's x509 loads it on first use and keeps it), so a CA added there later
counts only after containerd restarts. hosts.toml's `ca`, `client` and `skip_verify` are read on
every pull instead (containerd's ConfigureHosts runs per pull and reads the files it names). So
every host kindplane writes a hosts.toml for names the bundle in `ca`, and `_default/hosts.toml`
(the file containerd ≥ 1.7 uses for any host without a directory of its own) names it for every
other registry: docker.io pulled directly behind an intercepting proxy, a private registry.

The mirrors are Go too (distribution): Go's system roots on Linux are the first bundle file found
plus every file in /etc/ssl/certs, so one more file there adds the CAs without replacing the
image's own; the container is made with it, before `registry serve` starts.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
from dataclasses import dataclass
from typing import Mapping, Optional

from ..config import ClusterConfig, PullRegistryConfig
from ..config.tls_files import TlsFiles
from ..naming import CERTS_DIR

# containerd's fallback host directory (config_unix.go hostPaths: <root>/<host>, then <root>/_default).
DEFAULT_HOST_DIR = f"{CERTS_DIR}/_default"
TRUSTED_BUNDLE = f"{DEFAULT_HOST_DIR}/kindplane-trusted-cas.crt"
# Go's certDirectories on Linux include /etc/ssl/certs: every file in it is read as PEM.
MIRROR_TRUSTED_BUNDLE = "/etc/ssl/certs/kindplane-trusted-cas.crt"
# kubelet reads registry credentials from <root-dir>/config.json and hands them to the CRI with
# each pull (kind's documented private-registry recipe mounts exactly this file).
KUBELET_CONFIG_JSON = "/var/lib/kubelet/config.json"
DOCKER_HUB = "docker.io"
DOCKER_HUB_SERVER = "https://registry-1.docker.io"

CA_FILE = "ca.crt"
CLIENT_CERT_FILE = "client.cert"
CLIENT_KEY_FILE = "client.key"


@dataclass(frozen=True)
class NodeFile:
    """One file kindplane writes on every node: its text, mode, and whether it is a secret."""

    text: str
    mode: int = 0o644
    secret: bool = False


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML; the config refuses quotes in paths)."""
    return json.dumps(value)


def ca_line(paths: list[str]) -> str:
    return f"ca = [{', '.join(toml_string(p) for p in paths)}]\n"


def default_hosts_toml() -> str:
    """For every host without a directory of its own: the default endpoint, trusting the bundle."""
    return ca_line([TRUSTED_BUNDLE])


def registry_dir(host: str) -> str:
    return f"{CERTS_DIR}/{host}"


def registry_server(host: str) -> str:
    """The endpoint containerd would use without hosts.toml: https://<host>, Docker Hub's API host."""
    return DOCKER_HUB_SERVER if host == DOCKER_HUB else f"https://{host}"


def pull_registry_hosts_toml(entry: PullRegistryConfig, trusted: bool) -> str:
    """`server` with the entry's TLS settings (top-level keys apply to `server` in hosts.toml)."""
    directory = registry_dir(entry.host)
    text = f"server = {toml_string(registry_server(entry.host))}\n"
    cas = ([f"{directory}/{CA_FILE}"] if entry.ca else []) + ([TRUSTED_BUNDLE] if trusted else [])
    if cas:
        text += ca_line(cas)
    if entry.skip_verify:
        text += "skip_verify = true\n"
    if entry.client_cert:
        pair = f"[{toml_string(f'{directory}/{CLIENT_CERT_FILE}')}, {toml_string(f'{directory}/{CLIENT_KEY_FILE}')}]"
        text += f"client = [{pair}]\n"
    return text


def node_tls_files(cluster: ClusterConfig, files: TlsFiles) -> dict[str, NodeFile]:
    """Every file the node TLS write puts on each node, by absolute path (credentials apart:
    kubelet_config_json)."""
    found: dict[str, NodeFile] = {}
    trusted = bool(cluster.trusted_cas)
    if trusted:
        found[TRUSTED_BUNDLE] = NodeFile(files.trusted_bundle)
        found[f"{DEFAULT_HOST_DIR}/hosts.toml"] = NodeFile(default_hosts_toml())
    for entry in cluster.registries:
        directory, own = registry_dir(entry.host), files.of(entry.host)
        found[f"{directory}/hosts.toml"] = NodeFile(pull_registry_hosts_toml(entry, trusted))
        if own.ca:
            found[f"{directory}/{CA_FILE}"] = NodeFile(own.ca)
        if own.client_cert:
            found[f"{directory}/{CLIENT_CERT_FILE}"] = NodeFile(own.client_cert)
        if own.client_key:
            found[f"{directory}/{CLIENT_KEY_FILE}"] = NodeFile(own.client_key, 0o600, secret=True)
    return found


def node_tls_dirs(cluster: ClusterConfig) -> list[str]:
    """The directories the node TLS write owns: what its delete removes."""
    return ([DEFAULT_HOST_DIR] if cluster.trusted_cas else []) + [registry_dir(r.host) for r in cluster.registries]


def has_credentials(cluster: ClusterConfig) -> bool:
    return any(r.credentials_env for r in cluster.registries)


def kubelet_config_json(credentials: Mapping[str, tuple[str, str]]) -> str:
    """Docker's config.json format, as kubelet reads it: host → base64("user:password")."""
    auths = {
        host: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}
        for host, (user, password) in sorted(credentials.items())
    }
    return json.dumps({"auths": auths}, indent=2, sort_keys=True) + "\n"


def archive(files: Mapping[str, NodeFile]) -> str:
    """The files as one base64 tar (paths relative to /, nothing that varies between runs): the
    node write's stdin, unpacked by commands.write_archive into folders it makes first."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(files):
            data = files[path].text.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(data), files[path].mode
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buffer.getvalue()).decode() + "\n"


def folders_of(paths: list[str]) -> list[str]:
    return sorted({p.rsplit("/", 1)[0] for p in paths})


def trusted_upload(cluster: ClusterConfig, files: TlsFiles) -> Optional[tuple[str, str]]:
    """(path, text) of the bundle a mirror container is made with; None without trustedCAs."""
    return (MIRROR_TRUSTED_BUNDLE, files.trusted_bundle) if cluster.trusted_cas else None


# --- the local registry over HTTPS (cluster.registry.tls) ---------------------------------------

# Kept with the images, in the data volume: whatever keeps the images (persistent) keeps the CA that
# every node and every client already trust; a new volume starts a new CA.
REGISTRY_TLS_DIR = "/var/lib/registry/kindplane-tls"
REGISTRY_TLS_FILES = ("ca.crt", "ca.key", "server.crt", "server.key")
# distribution's configuration overrides (configuration.HTTP.TLS).
TLS_CERTIFICATE_ENV = "REGISTRY_HTTP_TLS_CERTIFICATE"
TLS_KEY_ENV = "REGISTRY_HTTP_TLS_KEY"
# The serving certificate's fingerprint: a renewed certificate is a changed env, so a new container
# (on the same volume) reads it; distribution reads its certificate once, at start.
TLS_FINGERPRINT_ENV = "KINDPLANE_TLS_CERTIFICATE_SHA256"


@dataclass(frozen=True)
class RegistryTls:
    """The HTTPS registry's CA (public) and its serving certificate's fingerprint: what the program
    needs; the keys stay in the volume (kindplane.ops.registry.tls_material makes and reads them)."""

    ca_pem: str
    certificate_sha256: str


def registry_tls_env(tls: RegistryTls) -> list[str]:
    return [
        f"{TLS_CERTIFICATE_ENV}={REGISTRY_TLS_DIR}/server.crt",
        f"{TLS_KEY_ENV}={REGISTRY_TLS_DIR}/server.key",
        f"{TLS_FINGERPRINT_ENV}={tls.certificate_sha256}",
    ]


def registry_tls_names(registry_name: str) -> list[str]:
    """What the serving certificate is valid for: how the host, pods and nodes name the registry."""
    return ["localhost", registry_name, "127.0.0.1", "::1"]
