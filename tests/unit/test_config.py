"""kindplane.yaml: defaults from the spec table, every rule's message, all errors at once."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kindplane.core.config import load_config, parse_config
from kindplane.core.errors import ConfigError


def problems(text: str, file: str = "kindplane.yaml") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, file)
    return [str(p) for p in caught.value.problems]


def test_registry_defaults_match_the_spec_table():
    registry = parse_config("cluster: {name: dev}").cluster.registry
    assert (registry.enabled, registry.port, registry.persistent, registry.name) == (
        False,
        5001,
        False,
        "kind-registry",
    )


def test_spec_example_enables_registry_on_5001():
    config = parse_config("cluster:\n  name: kindplane-dev\n  registry:\n    enabled: true\n    port: 5001\n")
    assert config.cluster.name == "kindplane-dev"
    assert config.cluster.registry.enabled and config.cluster.registry.port == 5001


def test_cluster_defaults():
    cluster = parse_config("cluster: {name: dev}").cluster
    assert (cluster.nodes.control_plane, cluster.nodes.workers) == (1, 0)
    assert cluster.port_mappings == [] and cluster.extra_mounts == []
    assert cluster.node_image_resolved is None


def test_node_image_wins_over_kubernetes_version():
    both = parse_config("cluster: {name: d, kubernetesVersion: 1.31.0, nodeImage: 'my/node:v1'}")
    assert both.cluster.node_image_resolved == "my/node:v1"
    version = parse_config("cluster: {name: d, kubernetesVersion: v1.30.4}")
    assert version.cluster.node_image_resolved == "kindest/node:v1.30.4"


def test_port_mapping_defaults():
    mapping = parse_config(
        "cluster: {name: d, portMappings: [{containerPort: 80, hostPort: 8080}]}"
    ).cluster.port_mappings[0]
    assert (mapping.protocol, mapping.listen_address) == ("TCP", "127.0.0.1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cluster: {name: d, registry: {port: 70000}}",
            "kindplane.yaml: cluster.registry.port: must be between 1 and 65535, got 70000",
        ),
        (
            "cluster: {name: d, registry: {port: 0}}",
            "kindplane.yaml: cluster.registry.port: must be between 1 and 65535, got 0",
        ),
        (
            "cluster: {name: d, registry: {port: '5001'}}",
            "kindplane.yaml: cluster.registry.port: must be an integer, got '5001'",
        ),
        (
            "cluster: {name: d, registry: {enabled: 'yes please'}}",
            "kindplane.yaml: cluster.registry.enabled: must be true or false, got 'yes please'",
        ),
        (
            "cluster: {name: d, registry: {persistant: true}}",
            "kindplane.yaml: cluster.registry.persistant: unknown key 'persistant'; did you mean 'persistent'?",
        ),
        (
            "cluster: {name: d, nodes: {controlPlane: 0}}",
            "kindplane.yaml: cluster.nodes.controlPlane: must be between 1 and 50, got 0",
        ),
        (
            "cluster: {name: d, nodes: {workers: -1}}",
            "kindplane.yaml: cluster.nodes.workers: must be between 0 and 50, got -1",
        ),
        (
            "cluster: {name: d, portMappings: [{containerPort: 80, hostPort: 80, protocol: tcp}]}",
            "kindplane.yaml: cluster.portMappings[0].protocol: must be one of 'TCP', 'UDP' or 'SCTP', got 'tcp'",
        ),
        (
            "cluster: {name: d, portMappings: [{containerPort: 80, hostPort: 80, listenAddress: everywhere}]}",
            "kindplane.yaml: cluster.portMappings[0].listenAddress: must be an IP address such as 127.0.0.1, got 'everywhere'",
        ),
        (
            "cluster: {name: d, portMappings: [{hostPort: 80}]}",
            "kindplane.yaml: cluster.portMappings[0].containerPort: is required",
        ),
        (
            "cluster: {name: d, extraMounts: [{hostPath: /src, containerPath: src}]}",
            "kindplane.yaml: cluster.extraMounts[0].containerPath: must be an absolute path inside the node, got 'src'",
        ),
        (
            "cluster: {name: d, kubernetesVersion: latest}",
            "kindplane.yaml: cluster.kubernetesVersion: must be a Kubernetes version such as 1.31 or 1.31.9, got 'latest'",
        ),
        (
            "cluster: {name: d, nodeImage: 'x y'}",
            "kindplane.yaml: cluster.nodeImage: must be an image reference such as kindest/node:v1.31.0, got 'x y'",
        ),
        ("cluster: {}", "kindplane.yaml: cluster.name: is required"),
        (
            "cluster: {name: d, registry: {enabled: true, port: 8080}, portMappings: [{containerPort: 80, hostPort: 8080}]}",
            "kindplane.yaml: cluster.portMappings[0].hostPort: 8080 is the registry port (cluster.registry.port); pick another hostPort",
        ),
        (
            "cluster: {name: d, portMappings: [{containerPort: 80, hostPort: 80}, {containerPort: 81, hostPort: 80}]}",
            "kindplane.yaml: cluster.portMappings[1].hostPort: 80/TCP is already mapped by portMappings[0]",
        ),
        ("cluster: {name: d, registry: true}", "kindplane.yaml: cluster.registry: must be a mapping, got True"),
        ("- cluster", "kindplane.yaml: must be a mapping with a `cluster` key, got a list"),
        ("", "kindplane.yaml: is empty; it needs at least `cluster: {name: ...}`"),
    ],
)
def test_each_rule_names_file_key_path_and_fix(text, expected):
    assert problems(text) == [expected]


@pytest.mark.parametrize("hostile", ["a;rm -rf /", "$(id)", "x y", "../x", "`id`", "Dev", "-dev", "dev-", "a\nb", ""])
@pytest.mark.parametrize("key", ["name", "registry.name"])
def test_hostile_names_are_rejected_by_the_schema(hostile, key):
    data = {"cluster": {"name": "dev"}}
    if key == "name":
        data["cluster"]["name"] = hostile
    else:
        data["cluster"]["registry"] = {"name": hostile}
    [message] = problems(yaml.safe_dump(data))
    assert message.startswith(f"kindplane.yaml: cluster.{key}: must be lower-case letters")
    assert repr(hostile) in message


def test_cluster_name_must_leave_room_for_kind_node_names():
    name = "a" * 45  # fits "-control-plane" (59) but not the load balancer of an HA cluster (68)
    assert parse_config(f"cluster: {{name: {name}}}").cluster.name == name
    [message] = problems(f"cluster: {{name: {name}, nodes: {{controlPlane: 3}}}}")
    assert message == (
        f"kindplane.yaml: cluster.name: is too long for this many nodes: node name "
        f"'{name}-external-load-balancer' has 68 characters, the limit is 63; shorten the name"
    )
    [message] = problems(f"cluster: {{name: {'b' * 51}}}")
    assert message == "kindplane.yaml: cluster.name: must be at most 50 characters (kind's limit), got 51"


def test_all_errors_are_reported_at_once():
    text = """
cluster:
  name: "a;b"
  registry: {port: 70000, persistant: true, name: "$(id)"}
  nodes: {workers: -2}
"""
    found = problems(text, "stacks/dev.kindplane.yaml")
    assert [f.split(": ")[1] for f in found] == [
        "cluster.name",
        "cluster.nodes.workers",
        "cluster.registry.name",
        "cluster.registry.persistant",
        "cluster.registry.port",
    ]
    assert all(f.startswith("stacks/dev.kindplane.yaml: ") for f in found)


def test_unknown_top_level_key_lists_allowed_keys():
    assert problems("cluster: {name: d}\nclustr: {}") == [
        "kindplane.yaml: clustr: unknown key 'clustr'; did you mean 'cluster'?"
    ]


def test_yaml_syntax_error_names_line_and_column():
    [message] = problems("cluster:\n  name: [dev\n")
    assert message.startswith("kindplane.yaml: line 3, column 1: not valid YAML")


def test_missing_file_says_how_to_create_that_file(tmp_path, monkeypatch):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "kindplane.yaml")
    path = tmp_path / "kindplane.yaml"
    assert str(caught.value) == f"{path}: file not found; create it with `kindplane -c {path} init`"
    monkeypatch.chdir(tmp_path)  # the default file of this folder: plain `kindplane init` writes it
    with pytest.raises(ConfigError) as caught:
        load_config("kindplane.yaml")
    assert str(caught.value) == "kindplane.yaml: file not found; create it with `kindplane init`"


def test_load_config_labels_errors_with_the_path(tmp_path):
    path = tmp_path / "env.yaml"
    path.write_text("cluster: {name: dev, registry: {port: 99999}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: cluster.registry.port: must be between 1 and 65535, got 99999"


def test_stack_configs_in_the_repo_are_valid_and_can_live_side_by_side():
    dev = load_config("stacks/dev.kindplane.yaml").cluster
    ci = load_config("stacks/ci.kindplane.yaml").cluster
    assert dev.registry.persistent and dev.registry.port == 5001
    assert not ci.registry.persistent
    assert dev.name != ci.name and dev.registry.name != ci.registry.name
    assert dev.registry.port != ci.registry.port


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["dev", "kind-registry", "TCP", "127.0.0.1", "/x"]),
)
keys = st.sampled_from(
    [
        "cluster",
        "name",
        "registry",
        "enabled",
        "port",
        "persistent",
        "nodes",
        "controlPlane",
        "workers",
        "portMappings",
        "containerPort",
        "hostPort",
        "protocol",
        "listenAddress",
        "extraMounts",
        "hostPath",
        "containerPath",
        "readOnly",
        "kubernetesVersion",
        "nodeImage",
        "x",
    ]
)
documents = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=6)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_fuzzed_documents_only_ever_raise_config_error(document):
    for text in (yaml.safe_dump(document), yaml.safe_dump({"cluster": document})):
        try:
            parse_config(text)
        except ConfigError as exc:
            assert exc.problems and all(str(p).startswith("kindplane.yaml") for p in exc.problems)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_fuzzed_text_only_ever_raises_config_error(text):
    try:
        parse_config(text)
    except ConfigError:
        pass


def test_relative_extra_mount_host_paths_are_resolved_against_the_config_files_folder(tmp_path):
    from kindplane.core.config import load_config

    folder = tmp_path / "project"
    folder.mkdir()
    path = folder / "kindplane.yaml"
    path.write_text(
        "cluster:\n  name: dev\n  extraMounts:\n"
        "    - {hostPath: ./data, containerPath: /data}\n"
        "    - {hostPath: ../shared, containerPath: /shared}\n"
        "    - {hostPath: /abs/path, containerPath: /abs}\n"
    )
    mounts = load_config(path).cluster.extra_mounts
    assert [m.host_path for m in mounts] == [
        str(folder / "data"),
        str(tmp_path / "shared"),
        "/abs/path",
    ]
