"""docs/local-registry-guide.md stays true of kindplane for the repository's example config.

Every shell command in the guide is parsed and checked against what kindplane renders for
kindplane.yaml: node names, registry name and port, hosts.toml paths, the ConfigMap, the kind
node label, and kindplane's own CLI (each `kindplane …` line must parse with its options).
tests/docker/test_docker_guide.py runs the ones that can run against stand-in nodes.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml
from support.guide import GUIDE, blocks, commands, pipeline

from kindplane.cli.app import app
from kindplane.core.config import load_config, validate_data
from kindplane.core.contract import KIND_CLUSTER_LABEL
from kindplane.core.naming import CERTS_DIR, node_names, registry_cluster_address, registry_host_address
from kindplane.core.render.containerd import hosts_dirs, hosts_toml
from kindplane.core.render.discovery import CONFIGMAP_NAME, CONFIGMAP_NAMESPACE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = load_config(ROOT / "kindplane.yaml").cluster
REGISTRY = EXAMPLE.registry
PROGRAMS = {"docker", "curl", "kubectl", "kindplane"}


def test_the_guide_has_the_commands_it_should():
    found = commands()
    assert len(found) >= 15
    assert {pipeline(c)[0][0] for c in found} <= PROGRAMS, found


def test_the_guides_config_is_the_example_config():
    configs = [yaml.safe_load(b) for b in blocks("yaml") if "cluster:" in b]
    assert validate_data(configs[0]).cluster == EXAMPLE
    for config in configs:  # every config it shows is valid and names the same cluster
        assert validate_data(config).cluster.name == EXAMPLE.name


def test_no_hand_recreation_no_docker_rm_no_mkdocs_admonitions_no_default_kind_names():
    for command in commands():
        words = shlex.split(command)
        assert words[:2] not in (["docker", "run"], ["docker", "rm"]), command
    assert "!!!" not in GUIDE  # mkdocs syntax; GitHub shows it as text
    assert "> [!NOTE]" in GUIDE
    assert "kind-control-plane" not in GUIDE
    assert "kindplane registry gc" in GUIDE


def test_every_node_name_and_localhost_port_is_the_example_clusters():
    for node in re.findall(r"[a-z0-9-]+-(?:control-plane|worker)\d*", GUIDE):
        assert node in node_names(EXAMPLE), node
    assert set(re.findall(r"localhost:(\d+)", GUIDE)) == {str(REGISTRY.port)}
    assert set(re.findall(r"\b([a-z0-9-]+):5000\b", GUIDE)) == {REGISTRY.name}


def test_docker_commands_name_real_nodes_paths_and_containers():
    for command in commands():
        for words in pipeline(command):
            if words[:2] == ["docker", "exec"]:
                node, *argv = words[2:]
                assert node in node_names(EXAMPLE), command
                for path in [a for a in argv if a.startswith(CERTS_DIR)]:
                    assert str(Path(path).parent) in hosts_dirs(REGISTRY), command
            if words[:2] == ["docker", "ps"] and "--filter" in words:
                assert words[words.index("--filter") + 1] == f"label={KIND_CLUSTER_LABEL}={EXAMPLE.name}"
            if words[0] == "grep":
                assert words[1] == REGISTRY.name, command
            if words[:2] in (["docker", "tag"], ["docker", "push"]):  # the pushed name is the registry's
                assert words[-1].startswith(registry_host_address(REGISTRY) + "/"), command


def test_the_hosts_toml_the_guide_shows_is_what_kindplane_writes():
    assert f"Each node should answer `{hosts_toml(REGISTRY).strip()}`" in GUIDE
    assert hosts_toml(REGISTRY).strip() == f'[host."http://{registry_cluster_address(REGISTRY)}"]'


def test_curl_and_kubectl_commands_address_the_registry_and_configmap_kindplane_makes():
    for command in commands():
        words = shlex.split(command)
        if words[0] == "curl":
            assert words[1].startswith(f"http://{registry_host_address(REGISTRY)}/v2/"), command
        if words[:3] == ["kubectl", "get", "configmap"]:
            assert words[3] == CONFIGMAP_NAME and words[words.index("-n") + 1] == CONFIGMAP_NAMESPACE
        if words[:3] == ["kubectl", "create", "deployment"]:
            assert f"--image={registry_host_address(REGISTRY)}/my-app:latest" in words


@pytest.mark.parametrize("command", [c for c in commands() if c.startswith("kindplane ")])
def test_each_kindplane_command_parses_with_its_options(command):
    cmd, args = typer.main.get_command(app), shlex.split(command)[1:]
    while getattr(cmd, "commands", None):  # a group (typer vendors its own click: no isinstance)
        assert args and args[0] in cmd.commands, command  # a real (sub)command
        cmd = cmd.commands[args.pop(0)]
    cmd.make_context(cmd.name, args)  # raises UsageError on an unknown option or argument


def test_the_deployment_manifest_pulls_from_the_registry():
    [manifest] = [yaml.safe_load(b) for b in blocks("yaml") if "kind: Deployment" in b]
    [container] = manifest["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{registry_host_address(REGISTRY)}/my-app:latest"
