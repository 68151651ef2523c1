"""The `kind` stand-in (tests/harness/bin/kind): real node containers, no kubelet.

Implements `create cluster`, `delete cluster`, `get nodes`, `get clusters` and `get kubeconfig`
with kind's flags, names, labels, messages and exit codes. Each node is a container of the
stand-in node image (containerd + ctr + busybox; containerd 2 by default, see images.NODE_KINDS),
on the `kind` Docker network. As kind's config action does, it reads each node's
/etc/containerd/config.toml, patches it with the cluster's `containerdConfigPatches` and
`containerdConfigPatchesJSON6902` using kind's own code (patch.ContainerdTOML, the toolchain's
`kindplane-containerd-patch`, harness.real_kind) and writes it back before containerd starts.

When `etcd` and `kube-apiserver` are on PATH, each cluster also gets a real API server on
127.0.0.1 (tests/harness/apiserver.py) and `get kubeconfig` points at it; without them
`get kubeconfig` prints a kubeconfig whose server nothing listens on. What it cannot do: run
kubelet (pods never start), or run nodes privileged. It never writes ~/.kube/config.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import apiserver, kind_config, real_kind, toml_merge

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
HARNESS_LABEL = "dev.kindplane.harness"
NETWORK = "kind"  # kind's default; KIND_EXPERIMENTAL_DOCKER_NETWORK overrides it, as in kind


def network() -> str:
    return os.environ.get("KIND_EXPERIMENTAL_DOCKER_NETWORK") or NETWORK


NODE_IMAGE_ENV = "KINDPLANE_HARNESS_NODE_IMAGE"
# Test-only handshakes (harness.holds.Hold): `create cluster` stops after the nodes, `delete
# cluster` before removing them, says so in the folder the variable names and goes on once the
# test releases it (or after HOLD_LIMIT), so a test can interrupt a run in the middle of either.
CREATE_HOLD_ENV = "KINDPLANE_HARNESS_CREATE_HOLD"
DELETE_HOLD_ENV = "KINDPLANE_HARNESS_DELETE_HOLD"
HOLD_LIMIT = 300.0
READY_TIMEOUT = 60.0


class Failure(Exception):
    pass


def default_name() -> str:
    return os.environ.get("KIND_CLUSTER_NAME") or "kind"


def runtime() -> str:
    """The node provider: kind's KIND_EXPERIMENTAL_PROVIDER=podman runs `podman`, else `docker`
    (which follows DOCKER_HOST and the docker CLI's context, as kind's docker provider does)."""
    return "podman" if os.environ.get("KIND_EXPERIMENTAL_PROVIDER", "").strip().lower() == "podman" else "docker"


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`docker ARGS` or `podman ARGS` (their CLIs agree on every command used here)."""
    binary = runtime()
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise Failure(f'command "{binary} {" ".join(args)}" failed with error: {result.stderr.strip()}')
    return result


def cluster_nodes(name: str) -> list[str]:
    out = docker("ps", "-a", "--filter", f"label={CLUSTER_LABEL}={name}", "--format", "{{.Names}}").stdout
    return sorted(out.split())


def node_image() -> str:
    image = os.environ.get(NODE_IMAGE_ENV)
    if image:
        return image
    from .images import ensure_node_image

    return ensure_node_image()


def ensure_network() -> None:
    if docker("network", "inspect", network(), check=False).returncode == 0:
        return
    created = docker("network", "create", network(), check=False)
    if created.returncode != 0 and "already exists" not in created.stderr:
        raise Failure(f"failed to ensure docker network: {created.stderr.strip()}")


def node_plan(name: str, cluster: kind_config.Cluster) -> list[tuple[str, str, kind_config.Node]]:
    """(container name, role, node) in kind's naming: <name>-control-plane, …2, <name>-worker, …"""
    plan = []
    for role, nodes in (("control-plane", cluster.control_planes), ("worker", cluster.workers)):
        for i, node in enumerate(nodes, start=1):
            plan.append((f"{name}-{role}" + ("" if i == 1 else str(i)), role, node))
    return plan


def _labels(name: str, role: str) -> list[str]:
    return [
        "--label",
        f"{CLUSTER_LABEL}={name}",
        "--label",
        f"{ROLE_LABEL}={role}",
        "--label",
        f"{HARNESS_LABEL}=standin-node",
    ]


def _node_args(node: kind_config.Node) -> list[str]:
    args = []
    for m in node.extra_mounts:
        mode = ":ro" if m.get("readOnly") else ""
        args += ["--volume", f"{os.path.abspath(m['hostPath'])}:{m['containerPath']}{mode}"]
    for p in node.extra_port_mappings:
        listen = p.get("listenAddress", "0.0.0.0")
        args += ["--publish", f"{listen}:{p['hostPort']}:{p['containerPort']}/{p.get('protocol', 'TCP').lower()}"]
    return args


def start_node(
    container: str, role: str, cluster_name: str, node: kind_config.Node, image: str, cluster: kind_config.Cluster
) -> None:
    docker(
        "create",
        "--name",
        container,
        "--hostname",
        container,
        "--network",
        network(),
        *_labels(cluster_name, role),
        *_node_args(node),
        image,
    )
    containerd_config = patched_containerd_config(container, cluster)
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as handle:
        handle.write(containerd_config)
        handle.flush()
        os.chmod(handle.name, 0o644)
        docker("cp", handle.name, f"{container}:/etc/containerd/config.toml")
    docker("start", container)


def patched_containerd_config(container: str, cluster: kind_config.Cluster) -> str:
    """The node's own /etc/containerd/config.toml with the cluster's patches, by kind's code."""
    copied = subprocess.run([runtime(), "cp", f"{container}:/etc/containerd/config.toml", "-"], capture_output=True)
    if copied.returncode != 0:
        raise Failure(f"failed to read containerd config from node: {copied.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(copied.stdout)) as tar:
        member = tar.next()
        extracted = tar.extractfile(member) if member else None
        base = extracted.read().decode() if extracted else ""
    if not (cluster.containerd_config_patches or cluster.containerd_config_patches_json6902):
        return base  # kind leaves the file alone without patches
    try:
        return real_kind.patch_containerd_config(
            base, cluster.containerd_config_patches, cluster.containerd_config_patches_json6902
        )
    except RuntimeError as exc:
        raise Failure(str(exc)) from None


def start_load_balancer(cluster_name: str, image: str) -> None:
    # kind runs haproxy here; the stand-in only needs the container (no containerd, no hosts.toml).
    docker(
        "run",
        "-d",
        "--name",
        f"{cluster_name}-external-load-balancer",
        "--hostname",
        f"{cluster_name}-external-load-balancer",
        "--network",
        network(),
        *_labels(cluster_name, "external-load-balancer"),
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        "trap 'exit 0' TERM; while :; do sleep 1; done",
    )


def hold(variable: str, step: str) -> None:
    """Writes <folder>/<step>.held, then waits for <folder>/release (see CREATE_HOLD_ENV)."""
    folder = os.environ.get(variable)
    if not folder:
        return
    (Path(folder) / f"{step}.held").write_text(f"{os.getpid()}\n")
    deadline = time.monotonic() + HOLD_LIMIT
    while not (Path(folder) / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_ready(containers: list[str]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    for container in containers:
        while docker("exec", container, "ctr", "version", check=False).returncode != 0:
            if time.monotonic() > deadline:
                logs = docker("logs", "--tail", "20", container, check=False)
                raise Failure(f"containerd did not start on node {container}: {logs.stderr[-2000:]}")
            time.sleep(0.2)


def create(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.config == "-" else open(args.config).read() if args.config else ""
    cluster = (
        kind_config.parse(text) if text.strip() else kind_config.Cluster(None, [kind_config.Node("control-plane")], [])
    )
    # kind: the --name flag overrides the config's name; then KIND_CLUSTER_NAME; then "kind".
    name = args.name or cluster.name or default_name()
    kind_config.validate_name(name)
    try:  # kind would fail on these only after making the nodes; failing first leaves nothing behind
        toml_merge.apply_patches("", cluster.containerd_config_patches)
    except toml_merge.PatchError as exc:
        raise Failure(str(exc)) from None
    if cluster_nodes(name):
        raise Failure(f'node(s) already exist for a cluster with the name "{name}"')
    print(f'Creating cluster "{name}" ...', file=sys.stderr)
    image = node_image()
    plan = node_plan(name, cluster)
    with_apiserver = apiserver.available()
    try:
        if with_apiserver:
            apiserver.start(name)  # boots while the nodes are being made
        ensure_network()
        if len(cluster.control_planes) > 1:
            start_load_balancer(name, image)
        # kind provisions nodes concurrently; so does the stand-in (vfs copies each rootfs).
        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(start_node, c, r, name, n, image, cluster) for c, r, n in plan]:
                future.result()
        wait_ready([container for container, _, _ in plan])
        hold(CREATE_HOLD_ENV, "create")  # keeps the create (and Pulumi's lock) busy for the test
        if with_apiserver:
            took = apiserver.wait_ready(name)
            server = apiserver.endpoint(name)["server"]
            print(f"API server ready at {server} in {took:.1f} s", file=sys.stderr)
    except BaseException:
        if not args.retain:
            delete_nodes(name)
            apiserver.stop(name)
        raise
    print(f'Set kubectl context to "kind-{name}"', file=sys.stderr)
    return 0


def delete_nodes(name: str) -> list[str]:
    nodes = cluster_nodes(name)
    if nodes:
        docker("rm", "-f", "-v", *nodes)
    return nodes


def delete(args: argparse.Namespace) -> int:
    name = args.name or default_name()
    print(f'Deleting cluster "{name}" ...', file=sys.stderr)
    hold(DELETE_HOLD_ENV, "delete")  # for tests that kill a `down` mid-way
    nodes = delete_nodes(name)  # no nodes: nothing to do, still success (kind's behaviour)
    apiserver.stop(name)  # whatever PATH says now: it may have been started with another PATH
    if nodes:
        print(f"Deleted nodes: {nodes!r}".replace("'", '"'), file=sys.stderr)
    return 0


def get_nodes(args: argparse.Namespace) -> int:
    name = args.name or default_name()
    nodes = cluster_nodes(name)
    if not nodes:
        print(f'No kind nodes found for cluster "{name}".', file=sys.stderr)
    for node in nodes:
        print(node)
    return 0


def get_clusters(args: argparse.Namespace) -> int:
    # docker's ps template has a Label function; podman's has the Labels map.
    label = f'.Label "{CLUSTER_LABEL}"' if runtime() == "docker" else f'index .Labels "{CLUSTER_LABEL}"'
    out = docker("ps", "-a", "--filter", f"label={CLUSTER_LABEL}", "--format", f"{{{{{label}}}}}").stdout
    names = sorted(set(out.split()))
    if not names:
        print("No kind clusters found.", file=sys.stderr)
    for name in names:
        print(name)
    return 0


def get_kubeconfig(args: argparse.Namespace) -> int:
    name = args.name or default_name()
    if not cluster_nodes(name):
        raise Failure(
            f"could not locate any control plane nodes for cluster named '{name}'. "
            f"Use the --name option to select a different cluster"
        )
    plane = apiserver.endpoint(name)
    if args.internal:
        server = f"https://{name}-control-plane:6443"
    else:
        server = plane["server"] if plane else "https://127.0.0.1:6443"
    ca = f"\n    certificate-authority-data: {base64.b64encode(plane['ca'].encode()).decode()}" if plane else ""
    b64 = lambda pem: base64.b64encode(pem.encode()).decode()  # noqa: E731
    # kind's kubeconfig: the admin's client certificate and key, no token.
    user = (
        f"\n    client-certificate-data: {b64(plane['client_cert'])}\n    client-key-data: {b64(plane['client_key'])}"
        if plane
        else " {}"
    )
    ctx = f"kind-{name}"
    print(
        f"""apiVersion: v1
clusters:
- cluster:{ca}
    server: {server}
  name: {ctx}
contexts:
- context:
    cluster: {ctx}
    user: {ctx}
  name: {ctx}
current-context: {ctx}
kind: Config
preferences: {{}}
users:
- name: {ctx}
  user:{user}
""",
        end="",
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kind", description="kindplane test stand-in for kind")
    p.add_argument("-v", "--verbosity", type=int, default=0)
    p.add_argument("-q", "--quiet", action="store_true")
    verbs = p.add_subparsers(dest="verb", required=True)
    c = verbs.add_parser("create").add_subparsers(dest="what", required=True).add_parser("cluster")
    c.add_argument("--name", default="")
    c.add_argument("--config", default="")
    c.add_argument("--image", default="")
    c.add_argument("--wait", default="0s")
    c.add_argument("--retain", action="store_true")
    c.add_argument("--kubeconfig", default="")
    c.set_defaults(run=create)
    d = verbs.add_parser("delete").add_subparsers(dest="what", required=True).add_parser("cluster")
    d.add_argument("--name", default="")
    d.add_argument("--kubeconfig", default="")
    d.set_defaults(run=delete)
    g = verbs.add_parser("get").add_subparsers(dest="what", required=True)
    gn = g.add_parser("nodes")
    gn.add_argument("--name", default="")
    gn.set_defaults(run=get_nodes)
    g.add_parser("clusters").set_defaults(run=get_clusters)
    gk = g.add_parser("kubeconfig")
    gk.add_argument("--name", default="")
    gk.add_argument("--internal", action="store_true")
    gk.set_defaults(run=get_kubeconfig)
    verbs.add_parser("version").set_defaults(run=version)
    return p


def version(args: argparse.Namespace) -> int:
    """kind's own shape (`kind v0.33.0 go1.26.8 linux/amd64`): the release this stand-in plays."""
    from kindplane.ops.tools import KIND_VERSION

    print(f"kind {KIND_VERSION} go-none linux/amd64 (kindplane test stand-in)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (Failure, kind_config.KindConfigError, apiserver.ApiServerError, OSError) as exc:
        what = f"{args.verb} {getattr(args, 'what', '')}".strip()
        verb = {"create cluster": "failed to create cluster", "delete cluster": "failed to delete cluster"}.get(
            what, f"failed to {what}"
        )
        print(f"ERROR: {verb}: {exc}", file=sys.stderr)
        return 1
