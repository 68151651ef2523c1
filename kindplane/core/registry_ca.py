"""The HTTPS registry's certificates, made: a CA of its own and a serving certificate it signs for
the names the registry is reached by (core.render.tls.registry_tls_names). Pure: no Docker here;
kindplane.ops.registry.tls_material keeps them in the registry's data volume.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Optional

CA_DAYS = 3650  # the CA users copy into their trust stores: long-lived
SERVER_DAYS = 825  # the serving certificate: what Apple's clients accept at most
RENEW_DAYS = 30  # a serving certificate closer than this to its end is made again (same CA)


@dataclass(frozen=True)
class TlsSet:
    """The four PEM files kept in the volume (REGISTRY_TLS_FILES)."""

    ca_crt: str
    ca_key: str
    server_crt: str
    server_key: str

    def as_files(self) -> dict[str, str]:
        return {
            "ca.crt": self.ca_crt,
            "ca.key": self.ca_key,
            "server.crt": self.server_crt,
            "server.key": self.server_key,
        }

    @property
    def certificate_sha256(self) -> str:
        return hashlib.sha256(self.server_crt.encode()).hexdigest()


def new_tls_set(registry_name: str, names: list[str], now: Optional[datetime.datetime] = None) -> TlsSet:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = now or datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"kindplane registry CA ({registry_name})")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _with_server(_pem(ca), _key_pem(key), registry_name, names, now)


def renewed(current: TlsSet, registry_name: str, names: list[str], now: Optional[datetime.datetime] = None) -> TlsSet:
    """`current` when its serving certificate covers `names` and lasts RENEW_DAYS more; else a new
    serving certificate from the same CA (clients that trust the CA keep trusting the registry)."""
    from cryptography import x509

    now = now or datetime.datetime.now(datetime.timezone.utc)
    server = x509.load_pem_x509_certificate(current.server_crt.encode())
    try:
        sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        covered = {str(v) for v in sans.get_values_for_type(x509.DNSName)} | {
            str(v) for v in sans.get_values_for_type(x509.IPAddress)
        }
    except x509.ExtensionNotFound:
        covered = set()
    fresh = server.not_valid_after_utc - now > datetime.timedelta(days=RENEW_DAYS)
    if fresh and set(names) <= covered:
        return current
    return _with_server(current.ca_crt, current.ca_key, registry_name, names, now)


def _with_server(ca_crt: str, ca_key: str, registry_name: str, names: list[str], now: datetime.datetime) -> TlsSet:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca = x509.load_pem_x509_certificate(ca_crt.encode())
    signer = serialization.load_pem_private_key(ca_key.encode(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, registry_name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(signer, hashes.SHA256())  # type: ignore[arg-type]
    )
    return TlsSet(ca_crt, ca_key, _pem(server), _key_pem(key))


def _pem(certificate: object) -> str:
    from cryptography.hazmat.primitives import serialization

    return certificate.public_bytes(serialization.Encoding.PEM).decode()  # type: ignore[attr-defined]


def _key_pem(key: object) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
