"""The certificate and key files kindplane.yaml names, read and checked: `cluster.trustedCAs` and
each `cluster.registries[i]`'s `ca`, `clientCert`, `clientKey`.

Read at every load (the program reads them again at every run), so an edited file is a changed
input that `preview` shows. Every problem is a ConfigError at its key, before anything is created:
a missing file, a folder without certificates, text that is not a PEM certificate, a key that
does not parse or does not belong to its certificate. Relative paths are relative to the folder
of kindplane.yaml (`resolve_tls_paths`), as extraMounts' hostPath are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional

from ..errors import ConfigError, ConfigProblem
from .models import PEM_MARKER, ClusterConfig, KindplaneConfig

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

# A folder in trustedCAs contributes the files with these endings (what update-ca-certificates
# and Docker's certs.d read), in name order.
CA_FILE_SUFFIXES = (".crt", ".pem")


@dataclass(frozen=True)
class CertInfo:
    """What doctor and the messages say about one certificate."""

    subject: str
    issuer: str
    not_after: datetime
    fingerprint: str  # SHA-256 of the DER, hex
    where: str  # the config key it came from


@dataclass(frozen=True)
class RegistryFiles:
    """The PEM texts of one `cluster.registries[i]` (normalised: each certificate re-encoded)."""

    ca: Optional[str] = None
    client_cert: Optional[str] = None
    client_key: Optional[str] = None  # a secret: it only ever travels as a Pulumi secret


@dataclass(frozen=True)
class TlsFiles:
    """Everything the TLS keys name, read: the trusted bundle and each registry's files."""

    trusted_bundle: str = ""  # every trustedCAs certificate, PEM, once each, in config order
    registries: Mapping[str, RegistryFiles] = field(default_factory=dict)  # host → its files
    certificates: tuple[CertInfo, ...] = ()  # every certificate read, for doctor's expiry check

    def of(self, host: str) -> RegistryFiles:
        return self.registries.get(host, RegistryFiles())


NO_TLS_FILES = TlsFiles()


def resolve_tls_paths(config: KindplaneConfig, base: Path) -> KindplaneConfig:
    """Relative paths in trustedCAs and registries made absolute against kindplane.yaml's folder."""
    cluster = config.cluster

    def absolute(value: Optional[str]) -> Optional[str]:
        if value is None or PEM_MARKER in value:
            return value
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else (base / path).resolve())

    if not cluster.trusted_cas and not cluster.registries:
        return config
    trusted = [str(absolute(v)) for v in cluster.trusted_cas]
    registries = [
        r.model_copy(
            update={
                "ca": absolute(r.ca),
                "client_cert": absolute(r.client_cert),
                "client_key": absolute(r.client_key),
            }
        )
        for r in cluster.registries
    ]
    updated = cluster.model_copy(update={"trusted_cas": trusted, "registries": registries})
    return config.model_copy(update={"cluster": updated})


def read_tls_files(cluster: ClusterConfig, file: str) -> TlsFiles:
    """Reads and checks every file the TLS keys name; ConfigError with every problem at its key."""
    if not cluster.trusted_cas and not cluster.registries:
        return NO_TLS_FILES
    reader = _Reader(file)
    bundle: list[Certificate] = []
    for i, trusted in enumerate(cluster.trusted_cas):
        bundle += reader.trusted(trusted, f"cluster.trustedCAs[{i}]")
    registries = {}
    for i, entry in enumerate(cluster.registries):
        key = f"cluster.registries[{i}]"
        ca = reader.certificates_in(entry.ca, f"{key}.ca") if entry.ca else []
        cert = reader.certificates_in(entry.client_cert, f"{key}.clientCert") if entry.client_cert else []
        key_pem = reader.key_for(entry.client_key, cert, f"{key}.clientKey") if entry.client_key else None
        registries[entry.host] = RegistryFiles(_pem(ca) or None, _pem(cert) or None, key_pem)
    if reader.problems:
        raise ConfigError(reader.problems)
    return TlsFiles(_pem(_unique(bundle)), registries, tuple(reader.seen))


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[ConfigProblem] = []
        self.seen: list[CertInfo] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(self.file, key, message))

    def trusted(self, entry: str, key: str) -> list[Certificate]:
        if PEM_MARKER in entry:
            return self.parse(entry.encode(), key, "the PEM text")
        path = Path(entry)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CA_FILE_SUFFIXES)
            if not files:
                self.problem(key, f"folder {entry} holds no *.crt or *.pem file; put the CA certificates there")
                return []
            found: list[Certificate] = []
            for each in files:
                found += self.certificates_in(str(each), key)
            return found
        return self.certificates_in(entry, key)

    def read(self, path: str, key: str) -> Optional[bytes]:
        try:
            return Path(path).read_bytes()
        except FileNotFoundError:
            self.problem(key, f"file {path} does not exist")
        except IsADirectoryError:
            self.problem(key, f"{path} is a folder; name the PEM file inside it")
        except OSError as exc:
            self.problem(key, f"cannot read {path} ({exc.strerror or exc})")
        return None

    def certificates_in(self, path: str, key: str) -> list[Certificate]:
        data = self.read(path, key)
        return [] if data is None else self.parse(data, key, path)

    def parse(self, data: bytes, key: str, what: str) -> list[Certificate]:
        from cryptography import x509

        if b"PRIVATE KEY-----" in data and b"CERTIFICATE-----" not in data:
            self.problem(key, f"{what} is a private key, not a certificate; name the certificate (PEM) here")
            return []
        try:
            certificates = x509.load_pem_x509_certificates(data)
        except ValueError:
            self.problem(
                key,
                f"{what} holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert a DER file with "
                "`openssl x509 -inform der -in FILE -out FILE.pem`",
            )
            return []
        self.seen += [cert_info(c, key) for c in certificates]
        return certificates

    def key_for(self, path: str, certificates: list[Certificate], key: str) -> Optional[str]:
        from cryptography.hazmat.primitives import serialization

        data = self.read(path, key)
        if data is None:
            return None
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except TypeError:
            self.problem(key, f"{path} is encrypted; containerd needs the key without a passphrase")
            return None
        except ValueError:
            self.problem(key, f"{path} holds no PEM private key (-----BEGIN PRIVATE KEY-----)")
            return None
        if certificates and _public(private.public_key()) != _public(certificates[0].public_key()):
            self.problem(key, f"{path} is not the key of the client certificate (clientCert): their public keys differ")
            return None
        return data.decode("ascii", "replace")


def _public(key: object) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def cert_info(certificate: Certificate, where: str) -> CertInfo:
    from cryptography.hazmat.primitives import serialization

    der = certificate.public_bytes(serialization.Encoding.DER)
    return CertInfo(
        certificate.subject.rfc4514_string(),
        certificate.issuer.rfc4514_string(),
        certificate.not_valid_after_utc,
        hashlib.sha256(der).hexdigest(),
        where,
    )


def _unique(certificates: list[Certificate]) -> list[Certificate]:
    """Each certificate once (the same CA named in a file and in a folder), first place kept."""
    seen, kept = set(), []
    for certificate in certificates:
        if certificate not in seen:
            seen.add(certificate)
            kept.append(certificate)
    return kept


def _pem(certificates: list[Certificate]) -> str:
    from cryptography.hazmat.primitives import serialization

    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates)
