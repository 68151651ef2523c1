"""Bench: warm caches and bounded disk — `registry preload` before a fresh cluster, and `registry prune`.

Set-up as bench/mirror_pull.py: a registry:2 container on the kind network plays docker.io, the
mirror (`registry:3`, distribution v3.0.0 built by the harness) and the registry are started from
the kindplane program's own Container inputs, the stand-in node gets the program's hosts.toml. The
image is bench/image_iteration.py's 50 MB of random bytes in three layers.

Preload, each repetition from an empty mirror cache and an empty node:
- fresh cluster, upstream: the node pulls from the upstream directly (hosts.toml naming only it);
- preload:        `kindplane registry preload images.txt` (the CLI, a fresh process);
- fresh cluster after preload: the cluster deleted and created again, the upstream STOPPED, then
                  the new node's first pull — it can only come from the mirror's cache.
Prune: five versions of a 10 MB image pushed to the local registry:3 a second apart, then
`kindplane registry prune --keep 1`: the bytes gc frees (`du -sb` of the storage before and after)
and the command's wall time (it also restarts the registry).

    python bench/registry_cache.py [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]

from _stats import human_bytes, summarize, table  # noqa: E402
from harness.images import ensure_registry_v3_image  # noqa: E402
from harness.names import free_port, unique_name  # noqa: E402
from harness.program_commands import config_text, program_commands  # noqa: E402
from harness.registry import remove_container, remove_volume, run_registry  # noqa: E402
from harness.shell import standin_env  # noqa: E402
from image_iteration import Images, du, sh  # noqa: E402
from mirror_pull import DIRECT_HOSTS, IMAGE, Bench  # noqa: E402

MB = 1_000_000


def kindplane(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = standin_env({**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"})
    return sh([sys.executable, "-m", "kindplane", "-c", str(config), *args], env=env)


def preload_reps(images: Images, reps: int, folder: Path) -> list[dict]:
    bench = Bench("registry:3")
    config = folder / "mirror.yaml"
    listing = folder / "images.txt"
    listing.write_text("docker.io/library/kpbench:v1\n")
    try:
        bench.up(images)
        config.write_text(
            f"cluster:\n  name: {bench.name}\n  mirrors:\n    - {{remote: '{bench.upstream.url}', host: docker.io, "
            f"name: {bench.mirror}, image: 'registry:3'}}\n"
        )
        results = []
        for _ in range(reps):
            out = {}
            bench.empty_node()
            out["fresh cluster, pulling from the upstream"] = bench.fetch(DIRECT_HOSTS)
            bench.empty_mirror()
            since = time.time()
            start = time.perf_counter()
            kindplane(config, "registry", "preload", str(listing))
            seconds = time.perf_counter() - start
            out["registry preload (the CLI)"] = {
                "seconds": seconds,
                "upstream_bytes": bench.upstream_sent(since),
                "node_bytes": 0,
            }
            bench.new_cluster()
            out["fresh cluster after preload, upstream stopped"] = bench.fetch_offline(switched=True)
            results.append(out)
        return results
    finally:
        bench.down()


def prune_reps(reps: int, folder: Path) -> list[dict]:
    name, port = unique_name("kpbench-reg"), free_port()
    program = program_commands(config_text(unique_name("kpbench-gone"), registry=name, port=port, image="registry:3"))
    config = folder / "registry.yaml"
    config.write_text(config_text(program.config.cluster.name, registry=name, port=port, image="registry:3"))
    tags = []
    try:
        run_registry(program.registry_container, "registry:3")
        results = []
        for rep in range(reps):
            for version in range(5):
                tag = f"localhost:{port}/app:{rep}.{version}"
                payload = folder / "payload"
                payload.write_bytes(os.urandom(10 * MB))
                sh(["sh", "-c", f"tar -C {folder} -cf - payload | docker import - {tag}"])
                sh(["docker", "push", "-q", tag])
                tags.append(tag)
                time.sleep(1.1)
            before = du(name, "/var/lib/registry")
            start = time.perf_counter()
            kindplane(config, "registry", "prune", "--keep", "1")
            seconds = time.perf_counter() - start
            results.append({"seconds": seconds, "reclaimed": before - du(name, "/var/lib/registry"), "before": before})
            kindplane(config, "registry", "prune", "--keep", "0")  # an empty registry for the next repetition
        return results
    finally:
        remove_container(name)
        remove_volume(f"{name}-data")
        if tags:
            subprocess.run(["docker", "rmi", *tags], capture_output=True)


def preload_report(reps: list[dict]) -> str:
    rows = []
    for row in reps[0]:
        runs = [r[row] for r in reps]
        rows.append(
            [
                row,
                summarize([r["seconds"] for r in runs]).fmt(),
                human_bytes(sorted(r["upstream_bytes"] for r in runs)[len(runs) // 2]),
                human_bytes(sorted(r["node_bytes"] for r in runs)[len(runs) // 2]),
            ]
        )
    return table(
        ["step", "seconds (median, min–max)", "sent by the upstream (median)", "stored on the node (median)"], rows
    )


def prune_report(reps: list[dict]) -> str:
    return table(
        [
            "`registry prune --keep 1` of 5 x 10 MB versions",
            "seconds (median, min–max)",
            "storage before (median)",
            "reclaimed (median)",
        ],
        [
            [
                "registry:3",
                summarize([r["seconds"] for r in reps]).fmt(),
                human_bytes(sorted(r["before"] for r in reps)[len(reps) // 2]),
                human_bytes(sorted(r["reclaimed"] for r in reps)[len(reps) // 2]),
            ]
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    summarize([0.0] * args.reps)
    ensure_registry_v3_image()
    images = None
    with tempfile.TemporaryDirectory(prefix="kindplane-bench-cache-") as tmp:
        try:
            images = Images.build(unique_name("kpbench"))
            preload = preload_reps(images, args.reps, Path(tmp))
            prune = prune_reps(args.reps, Path(tmp))
        finally:
            if images:
                subprocess.run(["docker", "rmi", *images.tags], capture_output=True)
    print("## Warm caches: preload, then a fresh cluster\n")
    print(f"image: {IMAGE}, 50.0 MB in 3 layers; mirror: registry:3; {args.reps} repetitions\n")
    print(preload_report(preload))
    print("\n## Bounded disk: prune\n")
    print(prune_report(prune))


if __name__ == "__main__":
    main()
