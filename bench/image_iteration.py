"""Bench part 1: getting a new image onto N nodes — kindplane's registry vs `kind load`.

The nodes are the Docker harness's stand-in kind nodes (containerd + ctr), wired exactly as
kindplane wires them: the harness reads the program's own commands under Pulumi mocks (kind
create with kindplane's kind config, the registry container's inputs, the network join, every
hosts.toml write) and runs them for real. The image is ~50 MB
of random (incompressible) bytes in three layers (30 MB imported base, 15 MB, 5 MB top); the
"changed" image differs only in its 5 MB top layer. Building images is not timed.

- kindplane path: `docker push localhost:<port>/…`, then every node at once runs
  `ctr -n k8s.io content fetch --hosts-dir /etc/containerd/certs.d localhost:<port>/…`
  (the pull a kubelet would make, resolved through hosts.toml to the registry container).
- kind-load path, as `kind load docker-image` does it (kind's pkg/cmd/kind/load/docker-image):
  `docker save -o <tmp>/image.tar`, then every node at once is fed that whole tar on stdin of
  `ctr -n k8s.io images import --all-platforms --digests --no-unpack -` (kind also passes
  --snapshotter and unpacks; unpacking is impossible in unprivileged stand-in nodes, so both
  sides stop at content).

Bytes: "registry" is growth of the registry's storage (du -sb /var/lib/registry); "nodes" is
the summed growth of the nodes' content stores (du -sb of containerd's content dir); "stream"
is what crosses into the nodes for kind-load (tar size × N, the tar being read whole each time).
Every repetition starts from an emptied registry (storage wiped, container restarted) and
emptied nodes (`ctr images rm --sync`), and the two paths alternate which goes first.

    python bench/image_iteration.py [--reps 5] [--nodes 1 3 5]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]


from _stats import human_bytes, summarize, table  # noqa: E402
from harness.cluster import StandinCluster  # noqa: E402
from harness.images import ensure_node_image, ensure_registry_image  # noqa: E402
from harness.names import free_port, unique_name  # noqa: E402
from harness.program_commands import config_text, program_commands  # noqa: E402
from harness.registry import remove_container, run_registry, wait_for_registry  # noqa: E402
from harness.shell import run_program_command  # noqa: E402

from kindplane.core.naming import CERTS_DIR  # noqa: E402

CONTENT_DIR = "/var/lib/containerd/io.containerd.content.v1.content"
REGISTRY_DIR = "/var/lib/registry"
MB = 1_000_000
BASE_BYTES, MIDDLE_BYTES, TOP_BYTES = 30 * MB, 15 * MB, 5 * MB


def sh(argv: list[str], **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        raise RuntimeError(f"{argv!r} exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result


def _checked(result: subprocess.CompletedProcess) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"{result.args!r} exited {result.returncode}: {result.stderr.strip()[-2000:]}")


def du(container: str, path: str) -> int:
    return int(sh(["docker", "exec", container, "du", "-sb", path]).stdout.split()[0])


def on_all(nodes: list[str], task) -> list:
    """Runs task(node) for every node at once (as each node's kubelet would pull)."""
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        return list(pool.map(task, nodes))


@dataclass
class Images:
    """The ~50 MB image and its changed-top-layer twin, built once (untimed)."""

    first: str
    changed: str
    tags: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, prefix: str) -> "Images":
        base, first, changed = f"{prefix}/base:1", f"{prefix}/app:first", f"{prefix}/app:changed"
        tar = io.BytesIO()
        with tarfile.open(fileobj=tar, mode="w") as archive:
            for i in range(3):
                data = os.urandom(BASE_BYTES // 3)
                info = tarfile.TarInfo(f"base/blob{i}")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        imported = subprocess.run(["docker", "import", "-", base], input=tar.getvalue(), capture_output=True)
        if imported.returncode != 0:
            raise RuntimeError(f"docker import failed: {imported.stderr.decode(errors='replace')}")
        with tempfile.TemporaryDirectory(prefix="kindplane-bench-build-") as ctx:
            Path(ctx, "Dockerfile").write_text(
                f'FROM {base}\nCOPY middle.bin /middle.bin\nCOPY top.bin /top.bin\nCMD ["/top.bin"]\n'
            )
            Path(ctx, "middle.bin").write_bytes(os.urandom(MIDDLE_BYTES))
            for tag in (first, changed):  # same base and middle (build cache), new top
                Path(ctx, "top.bin").write_bytes(os.urandom(TOP_BYTES))
                sh(["docker", "build", "-q", "-t", tag, ctx], env={**os.environ, "DOCKER_BUILDKIT": "0"})
        return cls(first, changed, [base, first, changed])


class Bench:
    """One stand-in cluster (max N nodes) + one registry, set up by running the very commands
    and registry container inputs the kindplane program registers (read under Pulumi mocks)."""

    def __init__(self, max_nodes: int) -> None:
        name = unique_name("kpbench")
        self.port = free_port()
        self.program = program_commands(
            config_text(name, control_planes=1, workers=max_nodes - 1, registry=f"{name}-registry", port=self.port)
        )
        self.name = name
        self.registry = self.program.registry_container["name"]
        self.nodes: list[str] = []
        self.pushed: list[str] = []
        self.tmp = tempfile.mkdtemp(prefix="kindplane-bench-")

    def up(self) -> None:
        ensure_node_image()
        _checked(run_program_command(self.program.kind))
        self.nodes = StandinCluster(self.name).containerd_nodes()
        run_registry(self.program.registry_container, ensure_registry_image())
        _checked(run_program_command(self.program.network_join))
        for write in self.program.hosts_toml.values():
            _checked(run_program_command(write))

    def down(self) -> None:
        run_program_command(self.program.kind, "delete")
        remove_container(self.registry)
        if self.pushed:
            subprocess.run(["docker", "rmi", *self.pushed], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- resetting between repetitions -------------------------------------------------------
    def empty_registry(self) -> None:
        sh(["docker", "exec", self.registry, "rm", "-rf", f"{REGISTRY_DIR}/docker"])
        sh(["docker", "restart", "-t", "1", self.registry])  # drops its in-memory blob cache
        wait_for_registry(self.port)

    def empty_nodes(self, nodes: list[str]) -> None:
        def wipe(node: str) -> None:
            sh(
                [
                    "docker",
                    "exec",
                    node,
                    "sh",
                    "-c",
                    'refs=$(ctr -n k8s.io images ls -q); [ -z "$refs" ] || ctr -n k8s.io images rm --sync $refs',
                ]
            )
            left = du(node, CONTENT_DIR)
            if left > MB:
                raise RuntimeError(f"{node}: {left} bytes left in its content store after emptying")

        on_all(nodes, wipe)

    # -- the kindplane path ------------------------------------------------------------------
    def registry_ref(self, image: str) -> str:
        return f"localhost:{self.port}/bench/{image.split('/', 1)[1]}"

    def kindplane(self, image: str, nodes: list[str]) -> dict:
        ref = self.registry_ref(image)
        if ref not in self.pushed:
            sh(["docker", "tag", image, ref])
            self.pushed.append(ref)
        reg_before = du(self.registry, REGISTRY_DIR)
        nodes_before = sum(on_all(nodes, lambda n: du(n, CONTENT_DIR)))
        start = time.perf_counter()
        pushed = sh(["docker", "push", ref]).stdout
        pushed_at = time.perf_counter()
        on_all(
            nodes,
            lambda n: sh(
                ["docker", "exec", n, "ctr", "-n", "k8s.io", "content", "fetch", "--hosts-dir", CERTS_DIR, ref]
            ),
        )
        end = time.perf_counter()
        return {
            "seconds": end - start,
            "push": pushed_at - start,
            "pull": end - pushed_at,
            "registry": du(self.registry, REGISTRY_DIR) - reg_before,
            "nodes": sum(on_all(nodes, lambda n: du(n, CONTENT_DIR))) - nodes_before,
            "layers_pushed": len(re.findall(r": Pushed$", pushed, re.M)),
            "layers_skipped": len(re.findall(r": Layer already exists$", pushed, re.M)),
        }

    def exec_floor(self, nodes: list[str]) -> float:
        """One `ctr version` on every node at once: the per-pull process cost that moves no bytes."""
        start = time.perf_counter()
        on_all(nodes, lambda n: sh(["docker", "exec", n, "ctr", "-n", "k8s.io", "version"]))
        return time.perf_counter() - start

    # -- the kind-load path ------------------------------------------------------------------
    def kind_load(self, image: str, nodes: list[str]) -> dict:
        tar = os.path.join(self.tmp, "image.tar")
        nodes_before = sum(on_all(nodes, lambda n: du(n, CONTENT_DIR)))
        start = time.perf_counter()
        sh(["docker", "save", "-o", tar, image])
        saved_at = time.perf_counter()

        def load(node: str) -> None:
            with open(tar, "rb") as stream:
                done = subprocess.run(
                    [
                        "docker",
                        "exec",
                        "-i",
                        node,
                        "ctr",
                        "-n",
                        "k8s.io",
                        "images",
                        "import",
                        "--all-platforms",
                        "--digests",
                        "--no-unpack",
                        "-",
                    ],
                    stdin=stream,
                    capture_output=True,
                    text=True,
                )
            if done.returncode != 0:
                raise RuntimeError(f"import on {node} failed: {done.stderr.strip()}")

        on_all(nodes, load)
        end = time.perf_counter()
        size = os.path.getsize(tar)
        os.remove(tar)
        return {
            "seconds": end - start,
            "save": saved_at - start,
            "load": end - saved_at,
            "tar": size,
            "stream": size * len(nodes),
            "nodes": sum(on_all(nodes, lambda n: du(n, CONTENT_DIR))) - nodes_before,
        }


CASES = ("first", "changed", "unchanged")


def repetition(bench: Bench, images: Images, nodes: list[str], kindplane_first: bool) -> dict:
    """One round of both paths from empty registry and nodes: first image, changed top layer,
    and (kindplane only) the unchanged image pushed and pulled again."""
    out: dict = {}

    def kindplane_side() -> None:
        bench.empty_registry()
        bench.empty_nodes(nodes)
        out[("kindplane", "first")] = bench.kindplane(images.first, nodes)
        out[("kindplane", "changed")] = bench.kindplane(images.changed, nodes)
        out[("kindplane", "unchanged")] = bench.kindplane(images.changed, nodes)

    def kind_side() -> None:
        bench.empty_nodes(nodes)
        out[("kind", "first")] = bench.kind_load(images.first, nodes)
        out[("kind", "changed")] = bench.kind_load(images.changed, nodes)

    for side in (kindplane_side, kind_side) if kindplane_first else (kind_side, kindplane_side):
        side()
    out["floor"] = bench.exec_floor(nodes)
    return out


def report(results: dict[int, list[dict]]) -> str:
    rows = []
    verdicts = []
    for n, reps in results.items():
        for case in CASES:
            kp = [r[("kindplane", case)] for r in reps]
            kp_s = summarize([r["seconds"] for r in kp])
            push_s = summarize([r["push"] for r in kp])
            pull_s = summarize([r["pull"] for r in kp])
            kp_bytes = (
                f"{human_bytes(_median(kp, 'registry'))} + {human_bytes(_median(kp, 'nodes'))}"
                f" ({_median(kp, 'layers_pushed'):.0f} pushed, "
                f"{_median(kp, 'layers_skipped'):.0f} already there)"
            )
            if case == "unchanged":
                rows.append(
                    [n, case, kp_s.fmt(), f"{push_s.median:.2f} + {pull_s.median:.2f}", "—", "—", "—", kp_bytes, "—"]
                )
                continue
            kd = [r[("kind", case)] for r in reps]
            kd_s = summarize([r["seconds"] for r in kd])
            save_s = summarize([r["save"] for r in kd])
            load_s = summarize([r["load"] for r in kd])
            speedup = kd_s.median / kp_s.median
            kd_bytes = (
                f"{human_bytes(_median(kd, 'tar'))} + {human_bytes(_median(kd, 'stream'))}"
                f" (stored {human_bytes(_median(kd, 'nodes'))})"
            )
            rows.append(
                [
                    n,
                    case,
                    kp_s.fmt(),
                    f"{push_s.median:.2f} + {pull_s.median:.2f}",
                    kd_s.fmt(),
                    f"{save_s.median:.2f} + {load_s.median:.2f}",
                    f"{speedup:.2f}×",
                    kp_bytes,
                    kd_bytes,
                ]
            )
            if case == "changed":
                verdicts.append(
                    f"- N={n}: changed-layer speed-up {speedup:.2f}× "
                    f"(goal ≥ {n}×: {'met' if speedup >= n else 'MISSED'})"
                )
        floor = summarize([r["floor"] for r in reps])
        verdicts.append(
            f"- N={n}: floor — `docker exec … ctr version` on all {n} node(s) at once takes {floor.fmt()}, bytes or not"
        )
        unchanged = [r[("kindplane", "unchanged")] for r in reps]
        verdicts.append(
            f"- N={n}: unchanged re-push moved {human_bytes(_median(unchanged, 'registry'))} "
            f"into the registry and {human_bytes(_median(unchanged, 'nodes'))} into the nodes"
        )
    headers = [
        "N",
        "image",
        "kindplane s (median, min–max)",
        "push + pull s",
        "kind load s (median, min–max)",
        "save + import s",
        "speed-up",
        "kindplane bytes: registry + nodes",
        "kind load bytes: tar + stream",
    ]
    return table(headers, rows) + "\n\n" + "\n".join(verdicts)


def _median(runs: list[dict], key: str) -> float:
    return sorted(r[key] for r in runs)[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 3, 5])
    args = parser.parse_args()
    summarize([0.0] * args.reps)  # refuse fewer than 5 repetitions before doing any work
    bench = Bench(max(args.nodes))
    images = None
    try:
        images = Images.build(bench.name)
        bench.up()
        results = {}
        for n in args.nodes:
            nodes = bench.nodes[:n]
            results[n] = [repetition(bench, images, nodes, kindplane_first=i % 2 == 0) for i in range(args.reps)]
        print("## Image iteration on stand-in kind nodes\n")
        print(
            f"image: {human_bytes(BASE_BYTES + MIDDLE_BYTES + TOP_BYTES)} in 3 layers "
            f"(changed: new {human_bytes(TOP_BYTES)} top layer); {args.reps} repetitions each\n"
        )
        print(report(results))
    finally:
        bench.down()
        if images:
            subprocess.run(["docker", "rmi", *images.tags], capture_output=True)


if __name__ == "__main__":
    main()
