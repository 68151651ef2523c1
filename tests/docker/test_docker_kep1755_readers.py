"""The readers of the KEP-1755 ConfigMap, against the stand-in's real API server.

kindplane writes `local-registry-hosting` in `kube-public` (render.discovery). Its readers:

- Tilt reads it with github.com/tilt-dev/localregistry-go (client-go, yaml.v2): it pushes to
  `host`, writes `hostFromContainerRuntime` into pod specs (falling back to `host`), shows `help`
  when a push fails; an advertised registry overrides the Tiltfile's `default_registry`. The
  toolchain's `kep1755-read` reads the ConfigMap as that library does (the proxy does not serve
  the library itself).
- Skaffold reads `host` only, and only when the kube context looks local (a `kind-` or `k3d-`
  prefix, minikube, docker-desktop, or its `local-cluster` setting) and no default repo is set:
  then `host` is its default repo, for the push and, unchanged, for the pod specs.

Each reader's addresses are then used for real: `docker push` to where it pushes, and every node
fetches what it puts into pod specs through the hosts directory its CRI config names.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml
from harness import apiserver
from harness.cluster import StandinCluster
from harness.kube import KubeClient
from harness.names import unique_name
from harness.shell import run_program_command, run_shell

from kindplane.core.naming import HELP_URL, kube_context
from kindplane.core.render.discovery import CONFIGMAP_NAME, CONFIGMAP_NAMESPACE, local_registry_hosting

TOOLCHAIN = "tests/harness/toolchain.sh"
SKAFFOLD_LOCAL_PREFIXES = ("kind-", "k3d-")  # plus minikube / docker-desktop / local-cluster: not kind's
SKAFFOLD_LOCAL_NAMES = ("minikube", "docker-desktop", "docker-for-desktop")


def reader_binary() -> str:
    from harness.docker_env import in_ci
    from harness.engine import REPO

    found = subprocess.run(["bash", str(REPO / TOOLCHAIN), "path", "readers"], capture_output=True, text=True)
    if found.returncode != 0:
        built = subprocess.run(["bash", str(REPO / TOOLCHAIN), "build", "readers"], capture_output=True, text=True)
        found = subprocess.run(["bash", str(REPO / TOOLCHAIN), "path", "readers"], capture_output=True, text=True)
        if found.returncode != 0:
            message = f"the toolchain's readers piece does not build: {built.stderr[-2000:]}"
            pytest.fail(message) if in_ci() else pytest.skip(message)
    return f"{found.stdout.strip()}/kep1755-read"


def tilt_reads(kubeconfig: str, tmp_path) -> dict:
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig)
    done = subprocess.run([reader_binary(), "--kubeconfig", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def skaffold_default_repo(context: str, hosting_host: str, default_repo: str = "") -> str:
    """Skaffold's documented rule: the ConfigMap's `host`, for a local kube context, when no default
    repo is set; else the default repo (possibly none)."""
    local = context.startswith(SKAFFOLD_LOCAL_PREFIXES) or context in SKAFFOLD_LOCAL_NAMES
    return default_repo or (hosting_host if local else "")


@pytest.fixture
def api_cluster(monkeypatch, tmp_path, registry_factory, cluster_factory, node_image):
    """A stand-in cluster with a real API server, a registry wired into its node as kindplane wires
    it, and the ConfigMap kindplane writes for that registry."""
    from harness.engine import load_toolchain_env

    problem = load_toolchain_env()
    if problem and not all(shutil.which(binary) for binary in apiserver.BINARIES):
        pytest.skip(problem)
    monkeypatch.setenv(apiserver.STATE_ENV, str(tmp_path / "state"))
    monkeypatch.setenv(apiserver.ENABLED_ENV, "1")
    name = unique_name("kpt-kep")
    cluster_factory.names.append(name)
    registry = registry_factory(cluster=name)
    created = run_shell(f"kind create cluster --name {name} --config -", kind_config(), timeout=300)
    assert created.returncode == 0, created.stderr
    for command in registry.commands.hosts_toml.values():
        assert run_program_command(command).returncode == 0
    assert run_program_command(registry.commands.network_join).returncode == 0
    kubeconfig = run_shell(f"kind get kubeconfig --name {name}").stdout
    spec = registry.commands.config.cluster.registry
    KubeClient(kubeconfig).create_configmap(CONFIGMAP_NAMESPACE, CONFIGMAP_NAME, local_registry_hosting(spec))
    return name, registry, kubeconfig


def kind_config() -> str:
    from kindplane.core.render.containerd import config_path_patch

    patch = "".join(f"  {line}\n" for line in config_path_patch().splitlines())
    return f"kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\ncontainerdConfigPatches:\n- |\n{patch}"


def test_the_kube_context_keeps_kinds_form_that_skaffold_takes_for_local(api_cluster):
    name, _, kubeconfig = api_cluster
    assert yaml.safe_load(kubeconfig)["current-context"] == kube_context(name) == f"kind-{name}"


def test_tilt_pushes_to_host_and_puts_the_in_cluster_name_into_pod_specs(api_cluster, app_image, tmp_path):
    name, registry, kubeconfig = api_cluster
    read = tilt_reads(kubeconfig, tmp_path)
    assert read == {
        "context": f"kind-{name}",
        "found": True,
        "hosting": {
            "host": f"localhost:{registry.port}",
            "hostFromContainerRuntime": f"{registry.name}:5000",
            "hostFromClusterNetwork": f"{registry.name}:5000",
            "help": HELP_URL,
        },
    }
    hosting = read["hosting"]
    pushed = registry.push(app_image, "tilt-app:dev")  # Tilt pushes to `host` …
    assert pushed.startswith(hosting["host"] + "/")
    in_pod_spec = pushed.replace(hosting["host"], hosting["hostFromContainerRuntime"] or hosting["host"], 1)
    cluster = StandinCluster(name)
    for node in cluster.containerd_nodes():  # … and every node pulls what Tilt wrote into the pod spec
        fetched = cluster.cri_fetch(node, in_pod_spec)
        assert fetched.returncode == 0, (node, in_pod_spec, fetched.stderr)


def test_skaffold_takes_host_for_a_kind_context_and_nodes_pull_that_same_name(api_cluster, app_image, tmp_path):
    name, registry, kubeconfig = api_cluster
    hosting = tilt_reads(kubeconfig, tmp_path)["hosting"]  # Skaffold reads the same document; `host` only
    repo = skaffold_default_repo(f"kind-{name}", hosting["host"])
    assert repo == f"localhost:{registry.port}"
    pushed = registry.push(app_image, "skaffold-app:dev")
    assert pushed == f"{repo}/skaffold-app:dev"  # pushed to, and deployed as, the same name
    cluster = StandinCluster(name)
    for node in cluster.containerd_nodes():
        fetched = cluster.cri_fetch(node, pushed)  # localhost:<port> inside a node: hosts.toml's job
        assert fetched.returncode == 0, (node, fetched.stderr)
    # A context Skaffold does not take for local, or a default repo of the user's, wins over it.
    assert skaffold_default_repo("prod-cluster", hosting["host"]) == ""
    assert skaffold_default_repo(f"kind-{name}", hosting["host"], "ghcr.io/me") == "ghcr.io/me"


def test_without_the_configmap_the_readers_find_no_registry(api_cluster, tmp_path):
    _, _, kubeconfig = api_cluster
    KubeClient(kubeconfig).delete_configmap(CONFIGMAP_NAMESPACE, CONFIGMAP_NAME)
    name = yaml.safe_load(kubeconfig)["current-context"]
    assert tilt_reads(kubeconfig, tmp_path) == {"context": name, "found": False, "hosting": {}}
