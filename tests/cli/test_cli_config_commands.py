"""validate, init, config kind: real files, real parsing, exit codes a script can rely on."""

from __future__ import annotations

import yaml

from kindplane.core.config import load_config, parse_config
from kindplane.core.render.kind_config import kind_config_yaml

REGISTRY = "cluster:\n  name: demo\n  nodes: {controlPlane: 1, workers: 2}\n  registry: {enabled: true, port: 5055, name: demo-reg}\n"


def test_validate_accepts_a_good_file_and_says_what_it_describes(cli, write_config):
    path = write_config(REGISTRY)
    result = cli(["-c", str(path), "validate"])
    assert result.exit_code == 0
    assert f"{path} is valid: cluster demo, 3 node(s), registry demo-reg on localhost:5055" in result.stdout


def test_validate_prints_every_problem_with_its_key_path_and_exits_2(cli, write_config):
    path = write_config(
        "cluster:\n  name: Bad_Name\n  registry: {enabled: yes-please, port: 70000, persistant: true}\n"
    )
    result = cli(["-c", str(path), "validate"])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 4, result.stderr
    text = result.stderr
    assert f"{path}: cluster.name: " in text
    assert f"{path}: cluster.registry.enabled: must be true or false" in text
    assert f"{path}: cluster.registry.port: must be between 1 and 65535, got 70000" in text
    assert "unknown key 'persistant'; did you mean 'persistent'?" in text
    assert result.stdout == ""


def test_config_kind_prints_exactly_the_kind_config_and_nothing_else(cli, write_config):
    path = write_config(REGISTRY)
    result = cli(["-c", str(path), "config", "kind"])
    assert result.exit_code == 0
    assert result.stdout == kind_config_yaml(load_config(path).cluster)
    doc = yaml.safe_load(result.stdout)
    assert doc["kind"] == "Cluster" and doc["name"] == "demo"
    assert [n["role"] for n in doc["nodes"]] == ["control-plane", "worker", "worker"]
    assert 'config_path = "/etc/containerd/certs.d"' in doc["containerdConfigPatches"][0]


def test_config_kind_with_an_invalid_file_writes_nothing_to_stdout(cli, write_config):
    path = write_config("cluster: {name: ok, nodes: {workers: -1}}\n")
    result = cli(["-c", str(path), "config", "kind"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "cluster.nodes.workers: must be between 0 and 50, got -1" in result.stderr


def test_init_writes_a_commented_file_that_validate_accepts(cli, tmp_path):
    path = tmp_path / "kindplane.yaml"
    result = cli(["-c", str(path), "init"])
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.count("\n#") + text.count("\n  #") >= 5  # commented, not a bare dump
    config = load_config(path)
    assert config.cluster.name == "kindplane-dev"
    assert config.cluster.registry.enabled is False
    assert cli(["-c", str(path), "validate"]).exit_code == 0


def test_init_registry_enables_the_registry(cli, tmp_path):
    path = tmp_path / "k.yaml"
    assert cli(["-c", str(path), "init", "--registry", "--name", "shop"]).exit_code == 0
    config = load_config(path)
    assert (config.cluster.name, config.cluster.registry.enabled, config.cluster.registry.port) == ("shop", True, 5001)
    # New files follow kind's local-registry script (registry:3); the schema's default stays registry:2
    # so existing files keep the registry they run.
    assert config.cluster.registry.image == "registry:3"
    assert (
        parse_config("cluster: {name: x, registry: {enabled: true}}", "t.yaml").cluster.registry.image == "registry:2"
    )


def test_init_refuses_to_overwrite_without_force(cli, tmp_path):
    path = tmp_path / "kindplane.yaml"
    path.write_text("mine\n")
    result = cli(["-c", str(path), "init"])
    assert result.exit_code == 2
    assert "already exists; use `kindplane init --force`" in result.stderr
    assert path.read_text() == "mine\n"
    assert cli(["-c", str(path), "init", "--force", "--registry"]).exit_code == 0
    assert load_config(path).cluster.registry.enabled is True


def test_init_rejects_a_bad_name_before_writing(cli, tmp_path):
    path = tmp_path / "kindplane.yaml"
    result = cli(["-c", str(path), "init", "--name", "Not Valid"])
    assert result.exit_code == 2
    assert "cluster.name" in result.stderr
    assert not path.exists()


def test_unknown_command_is_a_usage_error(cli):
    assert cli(["frobnicate"]).exit_code == 2


def test_config_kind_shows_a_relative_host_path_made_absolute_against_the_config(cli, tmp_path, monkeypatch):
    (tmp_path / "kindplane.yaml").write_text(
        "cluster: {name: dev, extraMounts: [{hostPath: src, containerPath: /src}]}\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # kind would have resolved `src` against this folder
    result = cli(["-c", str(tmp_path / "kindplane.yaml"), "config", "kind"])
    assert result.exit_code == 0, result.output
    nodes = yaml.safe_load(result.stdout)["nodes"]
    assert nodes[0]["extraMounts"] == [{"hostPath": str(tmp_path / "src"), "containerPath": "/src", "readOnly": False}]
