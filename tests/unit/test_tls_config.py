"""cluster.trustedCAs and cluster.registries: every bad certificate, key or path is a ConfigError at
its key (exit 2 from the CLI, nothing created); good files are read into one normalised bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.certs import TestCA

from kindplane.core.config import load_config, parse_config
from kindplane.core.config.tls_files import read_tls_files
from kindplane.core.errors import ConfigError


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def ca() -> TestCA:
    return TestCA("Corp Root CA")


def write(folder: Path, text: str, name: str = "kindplane.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_files_folders_and_inline_pem_make_one_bundle_each_certificate_once(tmp_path, ca):
    other = TestCA("Second CA")
    (tmp_path / "cas").mkdir()
    (tmp_path / "cas" / "b.pem").write_text(other.pem)
    (tmp_path / "cas" / "a.crt").write_text(ca.pem)
    (tmp_path / "cas" / "notes.txt").write_text("not a certificate, and not read")
    (tmp_path / "root.pem").write_text(ca.pem)
    inline = ca.pem.replace("\n", "\n      ")
    path = write(
        tmp_path,
        f"cluster:\n  name: d\n  trustedCAs:\n    - root.pem\n    - ./cas\n    - |\n      {inline}\n",
    )
    config = load_config(path)
    assert config.cluster.trusted_cas[0] == str(tmp_path / "root.pem")  # relative to kindplane.yaml
    files = read_tls_files(config.cluster, str(path))
    assert files.trusted_bundle == ca.pem + other.pem  # config order, folder by name, once each
    assert {c.subject for c in files.certificates} == {"CN=Corp Root CA", "CN=Second CA"}


def test_registry_files_are_read_and_a_matching_key_accepted(tmp_path, ca):
    client = ca.issue(["ci-robot"], client=True)
    cert, key = client.write(tmp_path, "client")
    (tmp_path / "ca.pem").write_text(ca.pem)
    path = write(
        tmp_path,
        "cluster:\n  name: d\n  registries:\n    - host: registry.corp.example:5000\n      ca: ca.pem\n"
        f"      clientCert: {cert.name}\n      clientKey: {key.name}\n",
    )
    config = load_config(path)
    files = read_tls_files(config.cluster, str(path)).of("registry.corp.example:5000")
    assert files.ca == ca.pem and files.client_cert == client.cert_pem and files.client_key == client.key_pem


def test_every_bad_file_is_reported_at_its_key_at_once(tmp_path, ca):
    client = ca.issue(["ci-robot"], client=True)
    stranger = ca.issue(["someone-else"], client=True)
    cert, _ = client.write(tmp_path, "client")
    _, wrong_key = stranger.write(tmp_path, "stranger")
    (tmp_path / "garbage.pem").write_text("hello, I am not a certificate\n")
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / "key-only.pem").write_text(client.key_pem)
    (tmp_path / "broken.key").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    path = write(
        tmp_path,
        "cluster:\n  name: d\n  trustedCAs: [missing.pem, garbage.pem, empty-dir, key-only.pem]\n"
        "  registries:\n"
        f"    - {{host: a.example, clientCert: {cert.name}, clientKey: {wrong_key.name}}}\n"
        f"    - {{host: b.example, clientCert: {cert.name}, clientKey: broken.key, ca: nowhere/ca.pem}}\n",
    )
    errors = errors_of(path)
    assert errors == [
        f"{path}: cluster.trustedCAs[0]: file {tmp_path}/missing.pem does not exist",
        f"{path}: cluster.trustedCAs[1]: {tmp_path}/garbage.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert a DER file with `openssl x509 -inform der -in FILE -out FILE.pem`",
        f"{path}: cluster.trustedCAs[2]: folder {tmp_path}/empty-dir holds no *.crt or *.pem file; put the CA certificates there",
        f"{path}: cluster.trustedCAs[3]: {tmp_path}/key-only.pem is a private key, not a certificate; name the certificate (PEM) here",
        f"{path}: cluster.registries[0].clientKey: {wrong_key} is not the key of the client certificate (clientCert): their public keys differ",
        f"{path}: cluster.registries[1].ca: file {tmp_path}/nowhere/ca.pem does not exist",
        f"{path}: cluster.registries[1].clientKey: {tmp_path}/broken.key holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
    ]


def test_inline_text_that_is_no_certificate_is_an_error_at_its_key(tmp_path):
    path = write(tmp_path, 'cluster:\n  name: d\n  trustedCAs:\n    - "-----BEGIN CERTIFICATE-----\\nnope\\n"\n')
    assert errors_of(path) == [
        f"{path}: cluster.trustedCAs[0]: the PEM text holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert a DER file with `openssl x509 -inform der -in FILE -out FILE.pem`"
    ]


@pytest.mark.parametrize(
    ("registries", "expected"),
    [
        (
            "[{host: r.example}]",
            "cluster.registries[0].host: says nothing about the registry: set ca, skipVerify, clientCert/clientKey or usernameEnv/passwordEnv",
        ),
        (
            "[{host: r.example, clientCert: c.pem}]",
            "cluster.registries[0].clientKey: is required when the other half of the client certificate is set",
        ),
        (
            "[{host: r.example, usernameEnv: U}]",
            "cluster.registries[0].passwordEnv: is required when the other credentials variable is set",
        ),
        (
            "[{host: r.example, skipVerify: true}, {host: r.example, skipVerify: true}]",
            "cluster.registries[1].host: 'r.example' is already configured by cluster.registries[0]; one entry per host",
        ),
        (
            "[{host: docker.io, skipVerify: true}]",
            "cluster.registries[0].host: 'docker.io' is served by cluster.mirrors[0]; its upstream's CA goes in cluster.trustedCAs and its credentials in the mirror's usernameEnv/passwordEnv",
        ),
        (
            "[{host: 'localhost:5001', skipVerify: true}]",
            "cluster.registries[0].host: 'localhost:5001' is served by the local registry (cluster.registry); set cluster.registry.tls for HTTPS",
        ),
        (
            "[{host: 'Bad Host', skipVerify: true}]",
            "cluster.registries[0].host: must be a registry host name such as docker.io or ghcr.io (lower-case, optional :port), got 'Bad Host'",
        ),
        (
            "[{host: r.example, usernameEnv: '$(id)', passwordEnv: P}]",
            "cluster.registries[0].usernameEnv: must be the NAME of an environment variable (letters, digits, '_'), got '$(id)'; never put the secret itself here",
        ),
        (
            '[{host: r.example, ca: "x\\ny"}]',
            "cluster.registries[0].ca: must be a non-empty path on one line, got 'x\\ny'",
        ),
    ],
)
def test_registries_rules(registries, expected):
    text = (
        "cluster: {name: d, registry: {enabled: true}, mirrors: [{remote: 'https://registry-1.docker.io'}], "
        f"registries: {registries}}}"
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "kindplane.yaml")
    assert f"kindplane.yaml: {expected}" in [str(p) for p in caught.value.problems]


def test_an_external_registry_takes_tls_from_its_owner():
    with pytest.raises(ConfigError) as caught:
        parse_config("cluster: {name: d, registry: {enabled: true, external: true, tls: true}}", "k.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "k.yaml: cluster.registry.tls: is the registry owner's setting; a stack with external: true never creates the registry; remove it"
    ]


def test_doctor_fails_an_expired_certificate_and_warns_before_the_end(tmp_path):
    import datetime

    from kindplane.ops.tls_doctor import SOON_DAYS, expiry_result

    ca = TestCA("Short-lived CA", days=10)
    (tmp_path / "a.pem").write_text(ca.pem)
    expired = ca.issue(["old"], client=True, expired=True)
    cert, key = expired.write(tmp_path, "old")
    path = write(
        tmp_path,
        f"cluster:\n  name: d\n  trustedCAs: [a.pem]\n  registries:\n    - {{host: r.example, clientCert: {cert}, clientKey: {key}}}\n",
    )
    files = read_tls_files(load_config(path).cluster, str(path))
    by_where = {info.where: info for info in files.certificates}
    soon = expiry_result(by_where["cluster.trustedCAs[0]"], "kindplane")
    assert soon.status == "warn" and "in 9 day(s)" in soon.detail
    assert soon.fix == "replace the file cluster.trustedCAs[0] names before then, then `kindplane up`"
    gone = expiry_result(by_where["cluster.registries[0].clientCert"], "kindplane")
    assert gone.status == "fail" and "'x509: certificate has expired'" in gone.detail
    later = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=SOON_DAYS)
    assert expiry_result(by_where["cluster.trustedCAs[0]"], "kindplane", now=later).status == "ok"
