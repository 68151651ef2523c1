"""registry.auth: the schema and its errors, the htpasswd file kept while it accepts the password,
the registry container's settings, and every node's hosts.toml sending the credentials (a secret)."""

from __future__ import annotations

import base64
import tomllib

import pytest
from pulumi.runtime import rpc
from support.pulumi_mocks import COMMAND, CONTAINER, run_program

from kindplane.core.config import parse_config
from kindplane.core.errors import ConfigError
from kindplane.core.render.drift import RegistryFiles, expected_files
from kindplane.core.render.registry_auth import (
    RegistryAuth,
    htpasswd_accepts,
    new_htpasswd,
)
from kindplane.ops.registry import auth_material
from kindplane.program import build

AUTH = "cluster: {name: dev, nodes: {workers: 1}, registry: {enabled: true, auth: {username: dev, passwordEnv: KP_PW}}}"
BASIC = "Basic " + base64.b64encode(b"dev:s3cr3t pass").decode()


def secret_value(value):
    assert isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig, value
    return value["value"]


def test_a_bcrypt_htpasswd_line_accepts_only_its_user_and_password():
    line = new_htpasswd("dev", "s3cr3t pass")
    assert line.startswith("dev:$2b$05$") and line.endswith("\n")
    assert htpasswd_accepts(line, "dev", "s3cr3t pass")
    assert not htpasswd_accepts(line, "dev", "other")
    assert not htpasswd_accepts(line, "root", "s3cr3t pass")
    assert not htpasswd_accepts("", "dev", "s3cr3t pass")
    assert not htpasswd_accepts("dev:plain-text\n", "dev", "s3cr3t pass")
    assert "s3cr3t" not in repr(RegistryAuth("dev", "s3cr3t pass", line))


@pytest.mark.parametrize(
    "auth, key, message",
    [
        ("{username: 'a:b', passwordEnv: KP_PW}", "cluster.registry.auth.username", "letters, digits"),
        ("{username: dev, passwordEnv: 'hunter 2'}", "cluster.registry.auth.passwordEnv", "NAME of an environment"),
        ("{username: dev}", "cluster.registry.auth.passwordEnv", "required"),
    ],
)
def test_bad_auth_keys_are_config_errors_at_their_key(auth, key, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"cluster: {{name: dev, registry: {{enabled: true, auth: {auth}}}}}")
    [problem] = caught.value.problems
    assert problem.path == key and message in problem.message


def test_auth_is_the_owners_setting_with_an_external_registry():
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "cluster: {name: dev, registry: {enabled: true, external: true, auth: {username: dev, passwordEnv: X}}}"
        )
    [problem] = caught.value.problems
    assert problem.path == "cluster.registry.auth" and "owner" in problem.message


def test_an_unset_password_variable_stops_before_anything_is_registered():
    config = parse_config(AUTH)
    with pytest.raises(ConfigError) as caught:
        build(config, lambda c, o: {}, environ={}, file="kindplane.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "kindplane.yaml: cluster.registry.auth.passwordEnv: environment variable KP_PW is not set (or empty); "
        "export it before `kindplane up` and the registry commands"
    ]


def test_the_registry_asks_for_the_kept_file_and_every_node_sends_the_credentials_as_a_secret():
    config = parse_config(AUTH)
    line = new_htpasswd("dev", "s3cr3t pass")
    asked = []

    def lookup(registry, owner, credentials):
        asked.append((registry.name, credentials))
        return RegistryAuth(*credentials, line)

    result = run_program(lambda: build(config, lambda c, o: {}, environ={"KP_PW": "s3cr3t pass"}, auth_lookup=lookup))
    assert asked == [("kind-registry", ("dev", "s3cr3t pass"))]
    envs = result.one(CONTAINER).inputs["envs"]
    assert envs[1:] == [
        "REGISTRY_AUTH=htpasswd",
        "REGISTRY_AUTH_HTPASSWD_REALM=kindplane",
        "REGISTRY_AUTH_HTPASSWD_PATH=/var/lib/registry/kindplane-auth/htpasswd",
        f"KINDPLANE_HTPASSWD_SHA256={RegistryAuth('dev', 'x', line).fingerprint}",
    ]
    writes = [r for r in result.of_type(COMMAND) if r.name.startswith("kindplane-wiring-hosts-")]
    assert len(writes) == 2
    for write in writes:
        hosts = tomllib.loads(secret_value(write.inputs["stdin"]))
        assert hosts == {"host": {"http://kind-registry:5000": {"header": {"Authorization": BASIC}}}}
        assert "s3cr3t" not in write.inputs["create"] + write.inputs["delete"]
        assert BASIC.split()[1] not in write.inputs["create"] + write.inputs["delete"]


def test_the_read_back_expects_the_header_in_every_hosts_toml():
    cluster = parse_config(AUTH).cluster
    files = expected_files(cluster, registry=RegistryFiles(authorization=BASIC))
    for folder in ("localhost:5001", "kind-registry:5000"):
        parsed = tomllib.loads(files[f"/etc/containerd/certs.d/{folder}/hosts.toml"])
        assert parsed["host"]["http://kind-registry:5000"]["header"] == {"Authorization": BASIC}


class FakeVolume:
    def __init__(self, files=None):
        self.files = dict(files or {})
        self.writes = 0

    def read(self, client, registry, directory):
        assert directory == "/var/lib/registry/kindplane-auth"
        return dict(self.files) if self.files else None

    def write(self, client, registry, owner, directory, files):
        self.writes += 1
        self.files = dict(files)


@pytest.fixture
def volume(monkeypatch):
    fake = FakeVolume()
    monkeypatch.setattr(auth_material, "read_volume_dir", fake.read)
    monkeypatch.setattr(auth_material, "write_volume_dir", fake.write)
    return fake


def test_the_kept_file_stays_while_it_accepts_the_password_and_is_made_again_when_it_does_not(volume):
    registry = parse_config(AUTH).cluster.registry
    first = auth_material.registry_auth(None, registry, "o", ("dev", "one"), dry_run=False)
    assert volume.writes == 1 and volume.files == {"htpasswd": first.htpasswd}
    again = auth_material.registry_auth(None, registry, "o", ("dev", "one"), dry_run=False)
    assert again.htpasswd == first.htpasswd and volume.writes == 1  # a no-op up changes nothing
    preview = auth_material.registry_auth(None, registry, "o", ("dev", "two"), dry_run=True)
    assert preview.fingerprint != first.fingerprint and volume.writes == 1  # preview writes nothing
    changed = auth_material.registry_auth(None, registry, "o", ("dev", "two"), dry_run=False)
    assert volume.writes == 2 and htpasswd_accepts(volume.files["htpasswd"], "dev", "two")
    assert changed.fingerprint != first.fingerprint
