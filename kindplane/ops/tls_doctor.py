"""`kindplane doctor` checks for TLS: certificates near or past their end, nodes whose trust lacks
the bundle kindplane writes, and upstreams whose chain this machine and trustedCAs do not trust
(what a TLS-intercepting proxy looks like), each with the exact fix.

The upstream check runs from this machine with its own trust store (Python's default, plus the
trustedCAs bundle): it sees what a corporate proxy does to this machine's connections. An upstream
this machine cannot reach is skipped; a mirror's own x509 failures are read from its log instead.
"""

from __future__ import annotations

import datetime
import shlex
import socket
import ssl
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit

from ..core.config import KindplaneConfig
from ..core.config.tls_files import CertInfo, TlsFiles, cert_info, read_tls_files
from ..core.errors import ConfigError
from ..core.naming import node_names
from ..core.render.tls import TRUSTED_BUNDLE, node_tls_files, registry_server
from .check_result import CheckResult, fail, ok, skip, warn
from .docker_lookup import exec_text, inspect_container

if TYPE_CHECKING:
    from docker import DockerClient

q = shlex.quote
SOON_DAYS = 30  # a certificate closer than this to its end is a warning
PROBE_TIMEOUT = 5.0
X509 = "x509:"


def check_tls(
    config: KindplaneConfig, client: DockerClient, kindplane: str = "kindplane", file: str = "kindplane.yaml"
) -> list[CheckResult]:
    cluster = config.cluster
    if not (cluster.trusted_cas or cluster.registries or cluster.mirrors or cluster.registry.tls):
        return []
    try:
        files = read_tls_files(cluster, file)
    except ConfigError as exc:
        return [fail("TLS files", str(exc), f"{kindplane} validate")]
    results = [expiry_result(info, kindplane) for info in files.certificates]
    results += [r for r in (registry_certificate(config, client, kindplane),) if r]
    results += node_trust(config, client, files, kindplane)
    results += upstream_trust(config, client, files, kindplane)
    return results


def expiry_result(info: CertInfo, kindplane: str, now: Optional[datetime.datetime] = None) -> CheckResult:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    title = f"certificate {info.subject} ({info.where})"
    left = info.not_after - now
    ends = info.not_after.strftime("%Y-%m-%d")
    if left.total_seconds() <= 0:
        return fail(
            title,
            f"expired on {ends}: pulls that rely on it fail with 'x509: certificate has expired'",
            f"replace the file {info.where} names with a current certificate, then `{kindplane} up`",
        )
    if left.days < SOON_DAYS:
        return warn(
            title,
            f"ends on {ends}, in {left.days} day(s)",
            f"replace the file {info.where} names before then, then `{kindplane} up`",
        )
    return ok(title, f"valid until {ends}")


def registry_certificate(config: KindplaneConfig, client: DockerClient, kindplane: str) -> Optional[CheckResult]:
    """registry.tls: the serving certificate kept in the volume (up renews it 30 days ahead)."""
    registry = config.cluster.registry
    if not (registry.enabled and registry.tls and not registry.external):
        return None
    from cryptography import x509

    from .registry.tls_material import read_tls_set

    found = read_tls_set(client, registry)
    if found is None:
        return fail(f"registry {registry.name}: HTTPS certificate", "none in its data volume", f"{kindplane} up")
    certificate = x509.load_pem_x509_certificate(found.server_crt.encode())
    return expiry_result(cert_info(certificate, "cluster.registry.tls"), kindplane)


def node_trust(config: KindplaneConfig, client: DockerClient, files: TlsFiles, kindplane: str) -> list[CheckResult]:
    """Every file the node TLS write puts there (the bundle, each registries entry's), as up wrote it."""
    wanted = node_tls_files(config.cluster, files)
    if not wanted:
        return []
    results = []
    for node in node_names(config.cluster):
        attrs = inspect_container(client, node)
        title = f"{node}: trusted CAs and registries' TLS files"
        if attrs is None or not (attrs.get("State") or {}).get("Running"):
            results.append(skip(title, "node not running (see the node checks)"))
            continue
        container = client.containers.get(attrs["Id"])
        wrong = []
        for path, expected in sorted(wanted.items()):
            code, text = exec_text(container, ["cat", path])
            if code != 0 or text.strip() != expected.text.strip():
                wrong.append(path)
        if not wrong:
            bundle = " (the trustedCAs bundle included)" if TRUSTED_BUNDLE in wanted else ""
            results.append(ok(title, f"{len(wanted)} file(s) as kindplane.yaml names them{bundle}"))
        else:
            results.append(
                fail(
                    title,
                    f"missing or different: {', '.join(wrong)}; containerd reads them on every pull",
                    f"{kindplane} up",  # up reads them back and writes them again
                )
            )
    return results


def upstream_trust(config: KindplaneConfig, client: DockerClient, files: TlsFiles, kindplane: str) -> list[CheckResult]:
    cluster = config.cluster
    results = []
    for i, mirror in enumerate(cluster.mirrors):
        if mirror.remote.startswith("https://"):
            results.append(chain_result(mirror.remote, files.trusted_bundle, f"cluster.mirrors[{i}].remote", kindplane))
            logged = mirror_x509(client, mirror.name)
            if logged:
                results.append(
                    fail(
                        f"mirror {mirror.name}: TLS to {mirror.remote}",
                        f"its last fetches failed: {logged}",
                        _trusted_fix(mirror.remote, bool(cluster.trusted_cas), kindplane),
                    )
                )
    for i, entry in enumerate(cluster.registries):
        if not entry.skip_verify and not entry.ca:
            server = registry_server(entry.host)
            results.append(chain_result(server, files.trusted_bundle, f"cluster.registries[{i}]", kindplane))
    return results


def chain_result(url: str, trusted_bundle: str, key: str, kindplane: str = "kindplane") -> CheckResult:
    title = f"TLS chain of {url}"
    problem = chain_problem(url, trusted_bundle)
    if problem is None:
        return ok(title, "trusted by this machine" + (" with cluster.trustedCAs" if trusted_bundle else ""))
    if problem.startswith("unreachable"):
        return skip(title, f"{problem} from this machine")
    return fail(f"{title} ({key})", problem, _trusted_fix(url, bool(trusted_bundle), kindplane))


def chain_problem(url: str, trusted_bundle: str = "") -> Optional[str]:
    """None when this machine (its trust store plus `trusted_bundle`) trusts the chain `url`
    presents; else why not, naming the CA the chain ends at; "unreachable: …" when no answer."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    context = ssl.create_default_context()
    if trusted_bundle:
        context.load_verify_locations(cadata=trusted_bundle)
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                return None
    except ssl.SSLCertVerificationError as exc:
        issuer = presented_issuer(host, port)
        reason = exc.verify_message or str(exc)
        where = f"; the certificate {host} presents was issued by {issuer!r}" if issuer else ""
        return (
            f"x509: {reason}{where}, which neither this machine's trust store nor cluster.trustedCAs holds: "
            "a TLS-intercepting proxy (corporate network) or a private CA"
        )
    except (OSError, ssl.SSLError) as exc:
        return f"unreachable: {exc}"


def presented_issuer(host: str, port: int) -> Optional[str]:
    from cryptography import x509

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except OSError:
        return None
    return x509.load_der_x509_certificate(der).issuer.rfc4514_string() if der else None


def mirror_x509(client: DockerClient, name: str) -> Optional[str]:
    """The mirror's last x509 error in its log (distribution logs each failed upstream fetch)."""
    import docker

    try:
        logs = client.api.logs(name, tail=200).decode("utf-8", "replace")
    except docker.errors.APIError:
        return None
    lines = [line for line in logs.splitlines() if X509 in line]
    if not lines:
        return None
    line = lines[-1]
    return line[line.index(X509) :].split('"')[0].strip()[:200]


def _trusted_fix(url: str, has_bundle: bool, kindplane: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    address = f"{host}:{parts.port or 443}"
    save = (
        f"openssl s_client -showcerts -connect {q(address)} </dev/null 2>/dev/null | "
        "awk '/BEGIN CERT/{n++} n{print}' > proxy-chain.pem"
    )
    where = "add the chain's last certificate (its CA) to" if has_bundle else "put its CA in a file named by"
    return f"{save}; {where} cluster.trustedCAs, then `{kindplane} up`"
