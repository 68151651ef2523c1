"""The TLS keys through the CLI as users run it: a bad certificate or key stops `validate` and
`up` with exit 2 at its key, before the engine is asked for anything."""

from __future__ import annotations

from support.certs import TestCA


def test_a_key_that_is_not_its_certificates_exits_2_and_up_creates_nothing(cli, engine, tools, tmp_path, write_config):
    ca = TestCA()
    cert, _ = ca.issue(["robot"], client=True).write(tmp_path, "client")
    _, key = ca.issue(["other"], client=True).write(tmp_path, "other")
    path = write_config(
        f"cluster:\n  name: d\n  registries:\n    - {{host: r.example, clientCert: {cert}, clientKey: {key}}}\n"
    )
    for command in ("validate", "up", "preview"):
        result = cli(["-c", str(path), command])
        assert result.exit_code == 2, result.output
        assert (
            f"error: {path}: cluster.registries[0].clientKey: {key} is not the key of the client certificate "
            "(clientCert): their public keys differ"
        ) in result.stderr
    assert engine.targets == []


def test_a_missing_trusted_ca_file_exits_2_naming_the_file(cli, engine, tools, tmp_path, write_config):
    path = write_config("cluster:\n  name: d\n  trustedCAs: [corp/root.pem]\n")
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 2
    assert f"error: {path}: cluster.trustedCAs[0]: file {tmp_path}/corp/root.pem does not exist" in result.stderr
    assert engine.targets == []
