"""`kindplane up` with cluster.kind, ingress and a kubernetesVersion minor, under the real engine.

What a user sees (warnings on stderr, the stack converged), what the nodes run (the user's
containerd patch with kindplane's registry config_path still in force, pulls through hosts.toml),
that a second run changes nothing, and that a bad fragment stops `up` before anything exists.
"""

from __future__ import annotations

import json

from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.engine import container_id
from harness.fixtures import push_to

from kindplane.core.naming import CERTS_DIR

FRAGMENT = """\
  kubernetesVersion: "1.31"
  ingress: true
  kind:
    name: ignored-name
    featureGates: {InPlacePodVerticalScaling: true}
    containerdConfigPatches:
      - |
        [debug]
          level = "debug"
    nodes:
      - {}
      - labels: {tier: batch}
"""


def test_kindplane_up_merges_the_fragment_warns_about_overrides_and_a_rerun_changes_nothing(new_project, app_image):
    project = new_project(workers=1)
    project.write_config(project.config_path.read_text() + FRAGMENT)
    up = project.kindplane("-c", str(project.config_path), "up")
    assert (
        f"warning: {project.config_path}: cluster.kind.name: ignored: the cluster is named "
        f"'{project.cluster}' by cluster.name"
    ) in up.stderr.splitlines()

    cluster = StandinCluster(project.cluster)
    first, worker = cluster.containerd_nodes()
    ports = json.loads(docker("inspect", "-f", "{{json .HostConfig.PortBindings}}", first).stdout)
    assert ports["80/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "80"}]
    assert ports["443/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "443"}]
    ref = push_to(f"localhost:{project.port}", app_image, "merged/app:v1")
    for node in (first, worker):
        assert 'level = "debug"' in cluster.exec(node, ["cat", "/etc/containerd/config.toml"]).stdout
        assert cluster.cri_registry_config_path(node) == CERTS_DIR, node
        fetched = cluster.ctr_fetch(node, ref)
        assert fetched.returncode == 0, f"{node}: {fetched.stderr}"

    # The merged config is stable: the cluster's replacement trigger does not move on a re-run.
    project.pulumi("preview", "--expect-no-changes")
    project.kindplane("-c", str(project.config_path), "down", "--force")
    assert cluster.nodes() == []


def test_a_bad_fragment_stops_up_with_the_key_path_and_creates_nothing(new_project):
    project = new_project(workers=0)
    project.write_config(project.config_path.read_text() + "  kind:\n    networking: {kubeProxyMod: ipvs}\n")
    up = project.kindplane("-c", str(project.config_path), "up", check=False)
    assert up.returncode == 2
    assert (
        f"error: {project.config_path}: cluster.kind.networking.kubeProxyMod: unknown key "
        "'kubeProxyMod'; did you mean 'kubeProxyMode'?"
    ) in up.stderr.splitlines()
    assert StandinCluster(project.cluster).nodes() == []
    assert container_id(project.registry) is None
