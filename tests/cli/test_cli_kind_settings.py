"""cluster.kind / ingress / kubernetesVersion as users meet them: validate, config kind, up."""

from __future__ import annotations

import pytest
import yaml
from harness.names import HOST_PORTS_GROUP, free_port, unique_name
from recording_engine import step

OVERRIDES = (
    "cluster:\n  name: {name}\n  ingress: true\n  kubernetesVersion: '1.31.4'\n"
    "  registry: {{enabled: true, port: {port}, name: {name}-reg}}\n"
    "  kind:\n    name: other\n    nodes: [{{labels: {{ingress-ready: 'no', team: a}}}}]\n"
)


def expected_warnings(path) -> list[str]:
    return [
        f"warning: {path}: cluster.kubernetesVersion: kindest/node:v1.31.4 is not an image kindplane knows "
        "the kind release of, and node images may not start with another kind release than their own; for "
        '1.31 it knows kindest/node:v1.31.9 (built for kind v0.29.0); use kubernetesVersion "1.31", or set '
        "nodeImage to an image from your kind release's notes",
        f"warning: {path}: cluster.kind.name: ignored: the cluster is named 'demo' by cluster.name",
        f"warning: {path}: cluster.kind.nodes[0].labels.ingress-ready: ignored: kindplane sets ingress-ready=true (cluster.ingress)",
    ]


def test_validate_accepts_the_file_and_prints_each_override_as_a_warning(cli, write_config):
    path = write_config(OVERRIDES.format(name="demo", port=5055))
    result = cli(["-c", str(path), "validate"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == expected_warnings(path)
    assert f"{path} is valid: cluster demo, 1 node(s)" in result.stdout


def test_config_kind_keeps_stdout_pipeable_and_warns_on_stderr(cli, write_config):
    path = write_config(OVERRIDES.format(name="demo", port=5055))
    result = cli(["-c", str(path), "config", "kind"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == expected_warnings(path)
    [node] = yaml.safe_load(result.stdout)["nodes"]
    assert node["labels"] == {"ingress-ready": "true", "team": "a"}
    assert node["image"] == "kindest/node:v1.31.4"


def test_a_bad_fragment_exits_2_with_the_key_path_and_writes_no_kind_config(cli, write_config):
    path = write_config("cluster:\n  name: demo\n  kind: {networking: {podSubnet: nope}, nodz: []}\n")
    result = cli(["-c", str(path), "config", "kind"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}: cluster.kind.networking.podSubnet: must be a CIDR such as 10.244.0.0/16, got 'nope'",
        f"error: {path}: cluster.kind.nodz: unknown key 'nodz'; did you mean 'nodes'?",
    ]


@pytest.mark.docker
@pytest.mark.xdist_group(HOST_PORTS_GROUP)  # ingress: host ports 80 and 443
def test_up_prints_the_warnings_before_it_touches_the_stack(cli, engine, tools, write_config, docker_ready):
    name, port = unique_name("kpt-kind"), free_port()
    path = write_config(OVERRIDES.format(name=name, port=port))
    engine.steps = [step("start", "create", f"{name}-kind"), step("done", "create", f"{name}-kind")]
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert lines == [w.replace("'demo'", repr(name)) for w in expected_warnings(path)]
    assert engine.names[-1] == "up"
