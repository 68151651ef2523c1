"""TLS in the program under Pulumi's mocks: what reaches every node and every mirror, parsed back;
secrets stay secrets; and a config without the TLS keys registers exactly what it did before them
(a stack made before TLS existed shows no change in `pulumi preview`)."""

from __future__ import annotations

import base64
import io
import json
import tarfile
import tomllib
from pathlib import Path

import pytest
import yaml
from pulumi.runtime import rpc
from support.certs import TestCA
from support.pulumi_mocks import COMMAND, CONTAINER, run_program

from kindplane.core.config import load_config, parse_config
from kindplane.core.errors import ConfigError
from kindplane.core.render.applied_settings import applied_settings, settings_fingerprint
from kindplane.program import build

BEFORE = json.loads((Path(__file__).parent / "data" / "inputs_before_tls.json").read_text())


def inputs_of(text: str) -> dict:
    config = parse_config(text)
    run = run_program(lambda: build(config, lambda c, o: {}, environ={}))
    return {
        f"{r.type}::{r.name}": json.loads(json.dumps(dict(r.inputs), default=str, sort_keys=True))
        for r in run.resources.values()
    }


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_a_config_without_tls_keys_registers_the_same_inputs_as_before_tls(key):
    """inputs_before_tls.json was recorded from the program of main before TLS (commit 32ef640):
    every resource, every input, the applied settings and the fingerprint the CLI compares."""
    recorded = BEFORE[key]
    assert inputs_of(recorded["text"]) == recorded["resources"]
    cluster = parse_config(recorded["text"]).cluster
    assert applied_settings(cluster) == recorded["applied"]
    assert settings_fingerprint(cluster, "kindplane/test", "kind") == recorded["fingerprint"]


def unpack(stdin: str) -> dict[str, tuple[str, int]]:
    """The node write's stdin (base64 tar) → {absolute path: (text, mode)}."""
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(stdin))) as tar:
        return {"/" + m.name: (tar.extractfile(m).read().decode(), m.mode) for m in tar.getmembers() if m.isfile()}


def secret_value(value):
    assert isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig, value
    return value["value"]


def run_file(path: Path, environ: dict | None = None):
    config = load_config(path)
    return config, run_program(lambda: build(config, lambda c, o: {}, environ=environ or {}, file=str(path)))


def test_trusted_cas_reach_every_node_and_every_mirror(tmp_path):
    ca = TestCA("Corp Proxy CA")
    (tmp_path / "corp.pem").write_text(ca.pem)
    path = tmp_path / "kindplane.yaml"
    path.write_text(
        "cluster:\n  name: dev\n  nodes: {controlPlane: 3, workers: 1}\n  trustedCAs: [corp.pem]\n"
        "  mirrors: [{remote: 'https://registry-1.docker.io'}]\n"
    )
    config, result = run_file(path)
    writes = {r.name: r for r in result.of_type(COMMAND) if r.name.startswith("kindplane-tls-")}
    nodes = ["dev-control-plane", "dev-control-plane2", "dev-control-plane3", "dev-worker"]
    assert sorted(writes) == [f"kindplane-tls-{n}" for n in nodes]  # never the load balancer
    for node in nodes:
        write = writes[f"kindplane-tls-{node}"]
        files = unpack(write.inputs["stdin"])
        bundle = "/etc/containerd/certs.d/_default/kindplane-trusted-cas.crt"
        assert files[bundle] == (ca.pem, 0o644)
        default = tomllib.loads(files["/etc/containerd/certs.d/_default/hosts.toml"][0])
        assert default == {"ca": [bundle]}
        assert write.inputs["create"].startswith(f"docker exec -i {node} sh -c ")
        assert "base64 -d | tar -x -C /" in write.inputs["create"]
        assert write.depends_on_names() == ["kindplane-cluster-kind"]
    mirror = result.one(CONTAINER)
    assert mirror.inputs["uploads"] == [{"file": "/etc/ssl/certs/kindplane-trusted-cas.crt", "content": ca.pem}]
    hosts = result.resources["mirror-hosts-docker.io-dev-worker"]
    parsed = tomllib.loads(hosts.inputs["stdin"])
    assert parsed["server"] == "https://registry-1.docker.io"
    assert parsed["ca"] == ["/etc/containerd/certs.d/_default/kindplane-trusted-cas.crt"]
    kind = yaml.safe_load(result.resources["kindplane-cluster-kind"].inputs["stdin"])
    assert 'config_path = "/etc/containerd/certs.d"' in kind["containerdConfigPatches"][0]


def test_trusted_cas_alone_patch_containerd_to_read_certs_d(tmp_path):
    (tmp_path / "corp.pem").write_text(TestCA().pem)
    path = tmp_path / "kindplane.yaml"
    path.write_text("cluster:\n  name: dev\n  trustedCAs: [corp.pem]\n")
    _, result = run_file(path)
    kind = yaml.safe_load(result.resources["kindplane-cluster-kind"].inputs["stdin"])
    assert kind["containerdConfigPatches"]


def test_a_changed_bundle_file_is_a_changed_input(tmp_path):
    (tmp_path / "corp.pem").write_text(TestCA("first").pem)
    path = tmp_path / "kindplane.yaml"
    path.write_text("cluster:\n  name: dev\n  trustedCAs: [corp.pem]\n")
    _, first = run_file(path)
    (tmp_path / "corp.pem").write_text(TestCA("second").pem)
    _, second = run_file(path)
    name = "kindplane-tls-dev-control-plane"
    assert first.resources[name].inputs["stdin"] != second.resources[name].inputs["stdin"]
    assert first.resources[name].inputs["triggers"] == second.resources[name].inputs["triggers"]  # an update


def test_registry_entries_write_hosts_toml_files_and_credentials_as_secrets(tmp_path):
    ca = TestCA("Private Registry CA")
    (tmp_path / "ca.pem").write_text(ca.pem)
    client = ca.issue(["robot"], client=True)
    cert, key = client.write(tmp_path, "robot")
    path = tmp_path / "kindplane.yaml"
    path.write_text(
        "cluster:\n  name: dev\n  registries:\n"
        f"    - {{host: 'registry.corp.example:5000', ca: ca.pem, clientCert: {cert.name}, clientKey: {key.name}, "
        "usernameEnv: CORP_USER, passwordEnv: CORP_TOKEN}\n"
        "    - {host: docker.io, skipVerify: true}\n"
    )
    environ = {"CORP_USER": "robot", "CORP_TOKEN": "s3cr3t-token"}
    _, result = run_file(path, environ)
    write = result.resources["kindplane-tls-dev-control-plane"]
    files = unpack(secret_value(write.inputs["stdin"]))
    folder = "/etc/containerd/certs.d/registry.corp.example:5000"
    assert tomllib.loads(files[f"{folder}/hosts.toml"][0]) == {
        "server": "https://registry.corp.example:5000",
        "ca": [f"{folder}/ca.crt"],
        "client": [[f"{folder}/client.cert", f"{folder}/client.key"]],
    }
    assert files[f"{folder}/ca.crt"] == (ca.pem, 0o644)
    assert files[f"{folder}/client.cert"][0] == client.cert_pem
    assert files[f"{folder}/client.key"] == (client.key_pem, 0o600)
    assert tomllib.loads(files["/etc/containerd/certs.d/docker.io/hosts.toml"][0]) == {
        "server": "https://registry-1.docker.io",
        "skip_verify": True,
    }
    auths = json.loads(files["/var/lib/kubelet/config.json"][0])["auths"]
    assert auths == {"registry.corp.example:5000": {"auth": base64.b64encode(b"robot:s3cr3t-token").decode()}}
    assert files["/var/lib/kubelet/config.json"][1] == 0o600
    # The secret is never in a command line, only in the (secret) stdin.
    assert "s3cr3t" not in write.inputs["create"] + write.inputs["delete"]
    assert "/var/lib/kubelet/config.json" in write.inputs["delete"]


def test_an_unset_credentials_variable_stops_before_anything_is_registered(tmp_path):
    path = tmp_path / "kindplane.yaml"
    path.write_text(
        "cluster:\n  name: dev\n  registries: [{host: r.example, usernameEnv: CORP_USER, passwordEnv: CORP_TOKEN}]\n"
    )
    config = load_config(path)
    with pytest.raises(ConfigError) as caught:
        build(config, lambda c, o: {}, environ={"CORP_USER": "robot"}, file=str(path))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: cluster.registries[0].passwordEnv: environment variable CORP_TOKEN is not set (or empty); export it before `kindplane up`"
    ]


def test_an_https_registry_serves_its_volumes_certificate_and_every_node_trusts_its_ca():
    from kindplane.core.render.tls import RegistryTls

    ca = TestCA("kindplane registry CA (kind-registry)")
    tls = RegistryTls(ca.pem, "ab" * 32)
    asked = []
    config = parse_config("cluster: {name: dev, nodes: {workers: 1}, registry: {enabled: true, tls: true}}")
    result = run_program(
        lambda: build(config, lambda c, o: {}, environ={}, tls_lookup=lambda r, o: asked.append(r.name) or tls)
    )
    assert asked == ["kind-registry"]
    container = result.one(CONTAINER)
    assert container.inputs["envs"] == [
        "REGISTRY_STORAGE_DELETE_ENABLED=true",
        "REGISTRY_HTTP_TLS_CERTIFICATE=/var/lib/registry/kindplane-tls/server.crt",
        "REGISTRY_HTTP_TLS_KEY=/var/lib/registry/kindplane-tls/server.key",
        f"KINDPLANE_TLS_CERTIFICATE_SHA256={'ab' * 32}",
    ]
    for node in ("dev-control-plane", "dev-worker"):
        files = unpack(result.resources[f"kindplane-wiring-hosts-{node}"].inputs["stdin"])
        for folder in ("localhost:5001", "kind-registry:5000"):
            hosts = tomllib.loads(files[f"/etc/containerd/certs.d/{folder}/hosts.toml"][0])
            assert hosts == {
                "host": {"https://kind-registry:5000": {"ca": "/etc/containerd/certs.d/localhost:5001/ca.crt"}}
            }
        assert files["/etc/containerd/certs.d/localhost:5001/ca.crt"] == (ca.pem, 0o644)
    assert result.outputs["registryCA"] == ca.pem and "registryCA" not in result.secret_outputs


def test_without_tls_the_registry_is_never_looked_up_for_certificates():
    config = parse_config("cluster: {name: dev, registry: {enabled: true}}")

    def refuse(registry, owner):
        raise AssertionError("no TLS asked for")

    result = run_program(lambda: build(config, lambda c, o: {}, environ={}, tls_lookup=refuse))
    assert "registryCA" not in result.outputs
