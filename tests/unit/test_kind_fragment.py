"""cluster.kind and cluster.ingress: validation against kind's field names, the merge, warnings."""

from __future__ import annotations

import tomllib

import pytest
import yaml
from harness.toml_merge import apply_patches

from kindplane.core.config import parse_config
from kindplane.core.errors import ConfigError
from kindplane.core.render import commands
from kindplane.core.render.all_warnings import all_warnings
from kindplane.core.render.kind_config import kind_config_yaml


def cluster(text: str):
    return parse_config(text).cluster


def kind_doc(text: str) -> dict:
    return yaml.safe_load(kind_config_yaml(cluster(text)))


def warnings(text: str) -> list[str]:
    return [str(w) for w in all_warnings(cluster(text))]


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "kp.yaml")
    return [str(p) for p in caught.value.problems]


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, expected",
    [
        (
            "{containerdConfigPatch: []}",
            "kp.yaml: cluster.kind.containerdConfigPatch: unknown key 'containerdConfigPatch'; did you mean 'containerdConfigPatches'?",
        ),
        (
            "{nodes: [{lables: {a: b}}]}",
            "kp.yaml: cluster.kind.nodes[0].lables: unknown key 'lables'; did you mean 'labels'?",
        ),
        (
            "{networking: {podSubnet: 10.0.0.0/8, kubeProxyMod: ipvs}}",
            "kp.yaml: cluster.kind.networking.kubeProxyMod: unknown key 'kubeProxyMod'; did you mean 'kubeProxyMode'?",
        ),
        (
            "{networking: {kubeProxyMode: userspace}}",
            "kp.yaml: cluster.kind.networking.kubeProxyMode: must be one of 'iptables', 'ipvs', 'nftables' or 'none', got 'userspace'",
        ),
        (
            "{networking: {podSubnet: 10.0.0/33}}",
            "kp.yaml: cluster.kind.networking.podSubnet: must be a CIDR such as 10.244.0.0/16, got '10.0.0/33'",
        ),
        (
            "{apiVersion: kind.x-k8s.io/v1alpha3}",
            "kp.yaml: cluster.kind.apiVersion: must be one of 'kind.x-k8s.io/v1alpha4', got 'kind.x-k8s.io/v1alpha3'",
        ),
        (
            "{featureGates: {SomeGate: 'yes'}}",
            "kp.yaml: cluster.kind.featureGates.SomeGate: must be true or false, got 'yes'",
        ),
        (
            "{nodes: [{labels: {ingress-ready: true}}]}",
            "kp.yaml: cluster.kind.nodes[0].labels.ingress-ready: must be a string, got True",
        ),
        (
            "{nodes: [{role: master}]}",
            "kp.yaml: cluster.kind.nodes[0].role: must be one of 'control-plane' or 'worker', got 'master'",
        ),
        (
            "{nodes: [{extraMounts: [{hostPath: data, containerPath: /data}]}]}",
            "kp.yaml: cluster.kind.nodes[0].extraMounts[0].hostPath: must be an absolute path on one line, got 'data' (cluster.extraMounts resolves paths relative to kindplane.yaml)",
        ),
        (
            "{nodes: [{extraPortMappings: [{containerPort: 80, hostPort: 70000}]}]}",
            "kp.yaml: cluster.kind.nodes[0].extraPortMappings[0].hostPort: must be between 0 and 65535, got 70000",
        ),
    ],
)
def test_the_fragment_is_checked_against_kinds_field_names_and_values(kind, expected):
    assert problems(f"cluster:\n  name: dev\n  kind: {kind}\n") == [expected]


def test_a_containerd_patch_that_is_not_toml_fails_before_kind_would():
    text = 'cluster:\n  name: dev\n  kind:\n    containerdConfigPatches:\n      - "[plugins\\n  oops"\n'
    [problem] = problems(text)
    assert problem.startswith("kp.yaml: cluster.kind.containerdConfigPatches[0]: is not valid TOML (")
    assert problem.endswith("kind would fail to patch containerd's config")


def test_a_kubeadm_patch_must_be_a_yaml_mapping():
    [problem] = problems("cluster:\n  name: dev\n  kind:\n    kubeadmConfigPatches: ['- just a list']\n")
    assert problem == (
        "kp.yaml: cluster.kind.kubeadmConfigPatches[0]: must be a YAML mapping such as "
        "`kind: ClusterConfiguration` plus the fields to patch"
    )


@pytest.mark.parametrize(
    "labels, path",
    [
        ('{"a b": x}', "cluster.kind.nodes[0].labels"),
        ('{"x/": y}', "cluster.kind.nodes[0].labels"),
        ('{ok: "$(reboot)"}', "cluster.kind.nodes[0].labels"),
        ('{ok: "' + "v" * 64 + '"}', "cluster.kind.nodes[0].labels"),
    ],
)
def test_labels_follow_kubernetes_label_syntax(labels, path):
    [problem] = problems(f"cluster:\n  name: dev\n  kind: {{nodes: [{{labels: {labels}}}]}}\n")
    assert problem.startswith(f"kp.yaml: {path}: label")


def test_every_problem_is_reported_at_once():
    text = "cluster:\n  name: dev\n  kind: {nodes: [{role: boss}], networking: {ipFamily: ipv5}, name: 3}\n"
    assert [p.split(": ")[1] for p in problems(text)] == [
        "cluster.kind.name",
        "cluster.kind.networking.ipFamily",
        "cluster.kind.nodes[0].role",
    ]


# --- merge -----------------------------------------------------------------------------------


def test_an_empty_fragment_changes_nothing():
    assert kind_doc("cluster: {name: dev, kind: {}}") == kind_doc("cluster: {name: dev}")


def test_fields_kindplane_does_not_set_are_copied_as_written():
    doc = kind_doc(
        "cluster:\n  name: dev\n  kind:\n"
        "    networking: {ipFamily: dual, podSubnet: '10.244.0.0/16,fd00:10:244::/56', disableDefaultCNI: true}\n"
        "    featureGates: {InPlacePodVerticalScaling: true}\n"
        "    runtimeConfig: {'api/alpha': 'false'}\n"
        "    kubeadmConfigPatches:\n"
        "      - |\n        kind: ClusterConfiguration\n        apiServer:\n          extraArgs: {v: '4'}\n"
    )
    assert doc["networking"] == {
        "ipFamily": "dual",
        "podSubnet": "10.244.0.0/16,fd00:10:244::/56",
        "disableDefaultCNI": True,
    }
    assert doc["featureGates"] == {"InPlacePodVerticalScaling": True}
    assert doc["runtimeConfig"] == {"api/alpha": "false"}
    assert yaml.safe_load(doc["kubeadmConfigPatches"][0]) == {
        "kind": "ClusterConfiguration",
        "apiServer": {"extraArgs": {"v": "4"}},
    }
    assert doc["nodes"] == [{"role": "control-plane"}]


def test_node_entries_merge_by_position_control_planes_first():
    doc = kind_doc(
        "cluster:\n  name: dev\n  nodes: {controlPlane: 1, workers: 2}\n"
        "  extraMounts: [{hostPath: /src, containerPath: /src}]\n"
        "  kind:\n    nodes:\n"
        "      - {labels: {tier: cp}}\n"
        "      - labels: {tier: gpu}\n"
        "        extraMounts: [{hostPath: /dev/shm, containerPath: /dev/shm, propagation: HostToContainer}]\n"
        "        kubeadmConfigPatches: ['{kind: JoinConfiguration, nodeRegistration: {name: x}}']\n"
    )
    cp, gpu, plain = doc["nodes"]
    assert cp["labels"] == {"tier": "cp"} and cp["role"] == "control-plane"
    assert gpu["role"] == "worker" and gpu["labels"] == {"tier": "gpu"}
    assert gpu["extraMounts"] == [
        {"hostPath": "/src", "containerPath": "/src", "readOnly": False},
        {"hostPath": "/dev/shm", "containerPath": "/dev/shm", "propagation": "HostToContainer"},
    ]
    assert gpu["kubeadmConfigPatches"] == ["{kind: JoinConfiguration, nodeRegistration: {name: x}}"]
    assert plain == {
        "role": "worker",
        "extraMounts": [{"hostPath": "/src", "containerPath": "/src", "readOnly": False}],
    }


def test_a_node_image_in_the_fragment_is_used_when_kindplane_sets_none():
    doc = kind_doc("cluster:\n  name: dev\n  nodes: {workers: 1}\n  kind: {nodes: [{}, {image: 'my/node:v1'}]}\n")
    assert [n.get("image") for n in doc["nodes"]] == [None, "my/node:v1"]


def test_kindplanes_keys_win_and_each_override_is_a_warning_with_its_key_path():
    text = (
        "cluster:\n  name: dev\n  ingress: true\n  nodeImage: 'my/node:v2'\n  nodes: {workers: 1}\n"
        "  registry: {enabled: true, port: 5001}\n"
        "  extraMounts: [{hostPath: /a, containerPath: /data}]\n"
        "  kind:\n    name: other\n    nodes:\n"
        "      - labels: {ingress-ready: 'false', team: a}\n"
        "        image: 'my/node:v1'\n"
        "        extraMounts: [{hostPath: /b, containerPath: /data}]\n"
        "        extraPortMappings:\n"
        "          - {containerPort: 443, hostPort: 443}\n"
        "          - {containerPort: 5000, hostPort: 5001}\n"
        "          - {containerPort: 9000, hostPort: 9000, listenAddress: 0.0.0.0}\n"
        "      - {role: control-plane}\n"
        "      - {labels: {x: y}}\n"
    )
    doc = kind_doc(text)
    first, worker = doc["nodes"]
    assert doc["name"] == "dev"
    assert first["image"] == worker["image"] == "my/node:v2"
    assert first["labels"] == {"ingress-ready": "true", "team": "a"}
    assert first["extraMounts"] == [{"hostPath": "/a", "containerPath": "/data", "readOnly": False}]
    assert [(p["hostPort"], p.get("listenAddress")) for p in first["extraPortMappings"]] == [
        (80, "127.0.0.1"),
        (443, "127.0.0.1"),
        (9000, "0.0.0.0"),
    ]
    assert worker["role"] == "worker"
    assert warnings(text) == [
        "cluster.kind.name: ignored: the cluster is named 'dev' by cluster.name",
        "cluster.kind.nodes[0].image: ignored: kindplane uses my/node:v2 (cluster.nodeImage or cluster.kubernetesVersion)",
        "cluster.kind.nodes[0].labels.ingress-ready: ignored: kindplane sets ingress-ready=true (cluster.ingress)",
        "cluster.kind.nodes[0].extraMounts[0].containerPath: ignored: cluster.extraMounts already mounts /data on every node",
        "cluster.kind.nodes[0].extraPortMappings[0].hostPort: ignored: host port 443/TCP is taken by cluster.ingress",
        "cluster.kind.nodes[0].extraPortMappings[1].hostPort: ignored: host port 5001/TCP is taken by cluster.registry.port",
        "cluster.kind.nodes[1].role: ignored: this is a worker node; roles come from cluster.nodes (control planes first, then workers)",
        "cluster.kind.nodes[2]: ignored: kindplane makes 2 node(s) from cluster.nodes (controlPlane: 1, workers: 1); raise those to add nodes",
    ]


def test_a_port_taken_by_portmappings_on_another_node_is_refused_too():
    text = (
        "cluster:\n  name: dev\n  nodes: {workers: 1}\n  portMappings: [{containerPort: 30080, hostPort: 8080}]\n"
        "  kind: {nodes: [{}, {extraPortMappings: [{containerPort: 80, hostPort: 8080}]}]}\n"
    )
    assert "extraPortMappings" not in kind_doc(text)["nodes"][1]
    assert warnings(text) == [
        "cluster.kind.nodes[1].extraPortMappings[0].hostPort: ignored: host port 8080/TCP is taken by cluster.portMappings"
    ]


def test_containerd_patches_apply_before_kindplanes_so_the_registry_config_path_survives():
    text = (
        "cluster:\n  name: dev\n  registry: {enabled: true}\n  kind:\n    containerdConfigPatches:\n"
        '      - |\n        [plugins."io.containerd.grpc.v1.cri".registry]\n          config_path = "/etc/other"\n'
        '      - |\n        [plugins."io.containerd.grpc.v1.cri".containerd]\n          snapshotter = "native"\n'
    )
    patches = kind_doc(text)["containerdConfigPatches"]
    assert len(patches) == 3
    # What the node's containerd ends up with, merged in order as kind does:
    merged = tomllib.loads(apply_patches("version = 2\n", patches))
    cri = merged["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert cri["containerd"]["snapshotter"] == "native"
    assert warnings(text) == [
        "cluster.kind.containerdConfigPatches[0]: its registry config_path is overridden: kindplane's "
        "patch (applied after it) points containerd at /etc/containerd/certs.d, where the local "
        "registry's hosts.toml lives"
    ]


def test_without_the_registry_a_users_config_path_is_theirs():
    text = (
        "cluster:\n  name: dev\n  kind:\n    containerdConfigPatches:\n"
        '      - |\n        [plugins."io.containerd.grpc.v1.cri".registry]\n          config_path = "/etc/other"\n'
    )
    [patch] = kind_doc(text)["containerdConfigPatches"]
    assert tomllib.loads(patch)["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["config_path"] == "/etc/other"
    assert warnings(text) == []


def test_fragment_values_reach_kind_through_its_config_file_never_the_command_line():
    text = (
        "cluster:\n  name: dev\n  kind:\n"
        '    kubeadmConfigPatches: ["{kind: ClusterConfiguration, x: \\"\'; rm -rf / #\\"}"]\n'
        '    featureGates: {"$(id)": true}\n'
    )
    parsed = cluster(text)
    assert commands.kind_create(parsed) == "kind create cluster --name dev --config -"
    doc = yaml.safe_load(kind_config_yaml(parsed))
    assert doc["featureGates"] == {"$(id)": True}
    assert yaml.safe_load(doc["kubeadmConfigPatches"][0])["x"] == "'; rm -rf / #"


# --- ingress ---------------------------------------------------------------------------------


def test_ingress_labels_the_first_control_plane_and_forwards_80_and_443_on_loopback():
    doc = kind_doc(
        "cluster:\n  name: dev\n  ingress: true\n  nodes: {controlPlane: 3, workers: 1}\n"
        "  portMappings: [{containerPort: 30000, hostPort: 8080}]\n"
    )
    first, *others = doc["nodes"]
    assert first["labels"] == {"ingress-ready": "true"}
    assert first["extraPortMappings"] == [
        {"containerPort": 80, "hostPort": 80, "listenAddress": "127.0.0.1", "protocol": "TCP"},
        {"containerPort": 443, "hostPort": 443, "listenAddress": "127.0.0.1", "protocol": "TCP"},
        {"containerPort": 30000, "hostPort": 8080, "listenAddress": "127.0.0.1", "protocol": "TCP"},
    ]
    assert all("labels" not in n and "extraPortMappings" not in n for n in others)


def test_ingress_is_off_by_default():
    assert "labels" not in kind_doc("cluster: {name: dev}")["nodes"][0]


def test_ingress_ports_clash_with_port_mappings_and_the_registry_port_as_errors():
    text = (
        "cluster:\n  name: dev\n  ingress: true\n  registry: {enabled: true, port: 443}\n"
        "  portMappings: [{containerPort: 8080, hostPort: 80}, {containerPort: 53, hostPort: 443, protocol: UDP}]\n"
    )
    assert problems(text) == [
        "kp.yaml: cluster.portMappings[0].hostPort: 80 is forwarded by cluster.ingress (80 and 443); pick another hostPort or drop ingress",
        "kp.yaml: cluster.registry.port: 443 is forwarded by cluster.ingress (80 and 443); pick another registry port",
    ]


def test_ingress_must_be_a_boolean():
    assert problems("cluster: {name: dev, ingress: 'yes'}") == [
        "kp.yaml: cluster.ingress: must be true or false, got 'yes'"
    ]
