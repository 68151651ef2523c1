"""Bench: what every `up` (and `pulumi up`) pays to read back what it wired — the drift check.

One cluster of 1 control plane + 2 workers (3 containerd nodes), a registry and a mirror, made
with `kindplane up` on the stand-in; then, N times: kindplane.ops.wiring_readback.read_back (the
cluster's containers, each node's certs.d, the registry's and mirror's networks, the ConfigMap
through the API server) and core.render.drift.find_drift — what the program adds to a no-op run.
Also shown: a no-op `kindplane up` as a whole, for scale.

    python bench/readback.py [--reps 7]

Needs Docker and the real-engine toolchain (see bench/engine_loop.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]

from _stats import summarize, table  # noqa: E402
from harness.engine import load_toolchain_env, make_project  # noqa: E402
from harness.mirrors import start_upstream  # noqa: E402
from harness.names import free_port, unique_name  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    problem = load_toolchain_env()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from kindplane.core.config import load_config
    from kindplane.core.render.drift import find_drift
    from kindplane.ops.docker_lookup import docker_client
    from kindplane.ops.wiring_readback import RecordedWiring, read_back

    upstream = start_upstream(unique_name("kpb-up"))
    cluster, registry, mirror, port = unique_name("kpb"), unique_name("kpb-reg"), unique_name("kpb-mir"), free_port()
    project = make_project(
        Path(tempfile.mkdtemp(prefix="kpb-readback-")),
        "bench",
        f"cluster:\n  name: {cluster}\n  nodes: {{controlPlane: 1, workers: 2}}\n"
        f"  registry: {{enabled: true, name: {registry}, port: {port}}}\n"
        f"  mirrors:\n    - {{remote: '{upstream.url}', host: docker.io, name: {mirror}}}\n",
    )
    os.environ["KINDPLANE_HARNESS_APISERVER"] = "1"
    try:
        project.kindplane("-c", str(project.config_path), "up")
        config = load_config(project.config_path)
        outputs = project.outputs()
        recorded = RecordedWiring(tuple(outputs["nodeNames"]), outputs["kubeconfig"], True)
        client = docker_client()
        samples, ups = [], []
        for _ in range(args.reps):
            started = time.perf_counter()
            drift = find_drift(config.cluster, read_back(client, config.cluster, recorded))
            samples.append(time.perf_counter() - started)
            assert not drift, drift.lines()
        for _ in range(max(5, args.reps // 2)):
            started = time.perf_counter()
            project.kindplane("-c", str(project.config_path), "up")
            ups.append(time.perf_counter() - started)
        print(f"load average: {os.getloadavg()[0]:.2f}")
        print(
            table(
                ["what", "time"],
                [
                    ["read-back + drift check, 3 nodes, registry + mirror", summarize(samples).fmt()],
                    ["no-op `kindplane up`, for scale", summarize(ups).fmt()],
                ],
            )
        )
    finally:
        project.remove_everything()
        upstream.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
