"""kind's own loader and validation read every kind config kindplane renders.

Each kindplane.yaml shape the unit tests render (nodes, mounts, port mappings, ingress, mirrors,
kubernetesVersion, the `cluster.kind` escape hatch) goes through `kindplane config kind`, and
what it prints goes to the real `kind create cluster --config -` (harness.real_kind: a fake
`docker` stops kind at its first container, after it has planned a `docker run` for every node).
So a config kind would reject never reaches a user. Its containerdConfigPatches also go through
kind's own patch code over kind's base containerd config, as kind patches each node.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from harness.real_kind import check_config, kind_base_containerd_config, patch_containerd_config

from kindplane.core.config import load_config
from kindplane.core.naming import CERTS_DIR, node_names

REPO = Path(__file__).resolve().parents[2]

SHAPES = {
    "defaults": "cluster: {name: kc-defaults}\n",
    "no registry": "cluster: {name: kc-bare, registry: {enabled: false}}\n",
    "3 control planes, 2 workers": "cluster: {name: kc-ha, nodes: {controlPlane: 3, workers: 2}}\n",
    "mounts and ports": (
        "cluster:\n  name: kc-mounts\n  nodes: {workers: 1}\n"
        "  extraMounts:\n    - {hostPath: ./data, containerPath: /data}\n"
        "    - {hostPath: /tmp, containerPath: /host-tmp, readOnly: true}\n"
        "  portMappings:\n    - {containerPort: 30080, hostPort: 8080}\n"
        "    - {containerPort: 30053, hostPort: 5353, protocol: UDP}\n"
    ),
    "ingress": "cluster: {name: kc-ingress, ingress: true, nodes: {workers: 1}}\n",
    "kubernetesVersion minor": 'cluster: {name: kc-minor, kubernetesVersion: "1.32"}\n',
    "kubernetesVersion full": 'cluster: {name: kc-full, kubernetesVersion: "1.37.0"}\n',
    "nodeImage": 'cluster: {name: kc-image, nodeImage: "kindest/node:v1.36.1"}\n',
    "mirrors": (
        "cluster:\n  name: kc-mirrors\n  mirrors:\n    - {remote: 'https://registry-1.docker.io'}\n"
        "    - {remote: 'http://cache.corp:5000', host: registry.corp, hostPort: 5100}\n"
    ),
    "mirrors without registry": (
        "cluster:\n  name: kc-mirror-only\n  registry: {enabled: false}\n  mirrors: [{remote: 'https://ghcr.io'}]\n"
    ),
    "cluster.kind escape hatch": """\
cluster:
  name: kc-hatch
  ingress: true
  nodes: {controlPlane: 1, workers: 2}
  kind:
    networking: {kubeProxyMode: nftables, podSubnet: 10.240.0.0/16, serviceSubnet: 10.96.0.0/16, ipFamily: ipv4}
    featureGates: {InPlacePodVerticalScaling: true}
    runtimeConfig: {"api/alpha": "false"}
    kubeadmConfigPatches:
      - |
        kind: ClusterConfiguration
        apiServer:
          extraArgs:
            v: "4"
    kubeadmConfigPatchesJSON6902:
      - {group: kubeadm.k8s.io, version: v1beta3, kind: ClusterConfiguration, patch: "- op: add\\n  path: /x\\n  value: 1\\n"}
    containerdConfigPatches:
      - |
        [plugins."io.containerd.grpc.v1.cri".containerd]
          discard_unpacked_layers = false
    containerdConfigPatchesJSON6902:
      - '[{"op": "add", "path": "/metrics", "value": {"address": "127.0.0.1:1338"}}]'
    nodes:
      - {labels: {tier: edge}, extraMounts: [{hostPath: /tmp, containerPath: /cp-tmp, propagation: HostToContainer}]}
      - {labels: {tier: gpu}, extraPortMappings: [{containerPort: 31000, hostPort: 9000, listenAddress: 127.0.0.1, protocol: SCTP}]}
      - kubeadmConfigPatches:
          - |
            kind: JoinConfiguration
            nodeRegistration:
              kubeletExtraArgs:
                node-labels: "pool=b"
""",
}


def kindplane_config_kind(folder: Path, text: str) -> str:
    """What `kindplane config kind` prints for this kindplane.yaml (stdout only)."""
    path = folder / "kindplane.yaml"
    path.write_text(text)
    (folder / "data").mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "kindplane", "-c", str(path), "config", "kind"],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_name(argv: list[str]) -> str:
    return argv[argv.index("--name") + 1]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_kind_loads_validates_and_plans_a_node_for_every_rendered_config(kind_bin, shape, tmp_path):
    text = kindplane_config_kind(tmp_path, SHAPES[shape])
    cluster = load_config(tmp_path / "kindplane.yaml").cluster
    checked = check_config(text, cluster.name)

    # kind got past its loader and Validate() to creating the node containers, one per node …
    assert "ERROR: failed to create cluster: failed to read logs" in checked.output or checked.runs, checked.output
    expected = set(node_names(cluster))
    if cluster.nodes.control_plane > 1:
        expected.add(f"{cluster.name}-external-load-balancer")
    assert {run_name(argv) for argv in checked.runs} == expected, checked.output
    # … with the image kindplane pinned (or kind's own default).
    images = {argv[-1] for argv in checked.runs if not run_name(argv).endswith("-external-load-balancer")}
    if cluster.node_image_resolved:
        assert images == {cluster.node_image_resolved}

    # The containerd patches apply with kind's own code over kind's base config.
    doc = yaml.safe_load(text)
    patched = tomllib.loads(
        patch_containerd_config(
            kind_base_containerd_config(),
            doc.get("containerdConfigPatches", []),
            doc.get("containerdConfigPatchesJSON6902", []),
        )
    )
    registry = patched["plugins"]["io.containerd.grpc.v1.cri"].get("registry", {})
    wired = cluster.registry.enabled or bool(cluster.mirrors)
    assert registry.get("config_path") == (CERTS_DIR if wired else None)


def test_kind_publishes_the_ports_and_mounts_kindplane_asked_for_on_loopback(kind_bin, tmp_path):
    text = kindplane_config_kind(tmp_path, SHAPES["mounts and ports"] + "  ingress: true\n")
    checked = check_config(text, "kc-mounts")
    first = next(argv for argv in checked.runs if run_name(argv) == "kc-mounts-control-plane")
    worker = next(argv for argv in checked.runs if run_name(argv) == "kc-mounts-worker")
    for publish in (
        "--publish=127.0.0.1:80:80/TCP",
        "--publish=127.0.0.1:443:443/TCP",
        "--publish=127.0.0.1:8080:30080/TCP",
        "--publish=127.0.0.1:5353:30053/UDP",
    ):
        assert publish in first, (publish, first)
        assert publish not in worker
    for argv in (first, worker):
        assert f"--volume={tmp_path / 'data'}:/data" in argv, argv
        assert "--volume=/tmp:/host-tmp:ro" in argv, argv


def test_a_planted_unknown_field_is_rejected_by_kinds_strict_loader(kind_bin, tmp_path):
    doc = yaml.safe_load(kindplane_config_kind(tmp_path, SHAPES["ingress"]))
    doc["nodes"][0]["extraPortMapings"] = doc["nodes"][0].pop("extraPortMappings")  # one letter off
    checked = check_config(yaml.safe_dump(doc, sort_keys=False), "kc-ingress")
    assert checked.returncode == 1
    assert "unable to decode config" in checked.output
    assert "field extraPortMapings not found in type v1alpha4.Node" in checked.output
    assert checked.runs == []  # nothing was created


def test_a_planted_invalid_value_is_rejected_by_kinds_validation(kind_bin, tmp_path):
    doc = yaml.safe_load(kindplane_config_kind(tmp_path, SHAPES["defaults"]))
    doc["networking"] = {"kubeProxyMode": "userspace"}
    checked = check_config(yaml.safe_dump(doc, sort_keys=False), "kc-defaults")
    assert checked.returncode == 1
    assert "invalid kubeProxyMode: userspace" in checked.output
    assert checked.runs == []


def test_kinds_patch_code_rejects_a_planted_invalid_containerd_patch(kind_bin):
    with pytest.raises(RuntimeError, match="failed to patch containerd config"):
        patch_containerd_config(kind_base_containerd_config(), ['[plugins."io.containerd.grpc.v1.cri".registry\n'])
