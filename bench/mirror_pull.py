"""Bench: a fresh cluster's first pull of a 50 MB public image — from the upstream vs a mirror.

Set-up as the Docker tests do it: a registry:2 container on the kind network plays docker.io (the
upstream), the mirror is started from the kindplane program's own Container inputs (its image
`registry:2` = distribution 2.8, or `registry:3` = distribution v3.0.0, both built by the test
harness), and the stand-in kind nodes get the program's own hosts.toml writes (read under Pulumi
mocks). The image is bench/image_iteration.py's 50 MB of random bytes in three layers, pushed to
the upstream as `library/kpbench:v1`; nodes fetch `docker.io/library/kpbench:v1`.

Each repetition, from an empty node content store, per mirror image:
- upstream:      the node's hosts.toml names only the upstream (what a node without a mirror does);
- cold mirror:   the mirror's cache emptied (storage wiped, container restarted): it fetches from
                 the upstream while it serves — the first cluster ever;
- warm mirror:   the cluster deleted and created again (untimed), then the new node's first pull —
                 the second cluster, after `kindplane down` / `up` with a persistent mirror;
- upstream down: the upstream container stopped (its name then resolves nowhere), the same pull
                 from the warm mirror — offline. Three ways: right after the upstream went down (the
                 mirror still proxies: one DNS attempt per tag, bounded by kindplane's DNS options
                 timeout:1 attempts:1); after the mirror noticed (kindplane's loop probes every 10 s,
                 then serves the cache alone); and a mirror without the DNS options and the offline loop
                 (recreated on the same cache without them: Go's resolver
                 default, 5 s x 2 attempts, per tag).
Timed: the `ctr content fetch` inside the node. "From upstream" sums the bytes the upstream's
access log says it sent during the pull: what Docker Hub would bill against its rate limit.

    python bench/mirror_pull.py [--reps 5] [--images registry:2 registry:3]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]

from _stats import human_bytes, summarize, table  # noqa: E402
from harness.cluster import StandinCluster  # noqa: E402
from harness.images import ensure_node_image, ensure_registry_image, ensure_registry_v3_image  # noqa: E402
from harness.mirrors import mirror_program, run_mirror, start_upstream  # noqa: E402
from harness.names import unique_name  # noqa: E402
from harness.registry import remove_container, remove_volume, wait_for_registry  # noqa: E402
from harness.shell import run_program_command  # noqa: E402
from image_iteration import CONTENT_DIR, Images, du, sh  # noqa: E402

from kindplane.core.render.pull_through import MIRROR_MODE_FILE, MIRROR_PROBE_SECONDS  # noqa: E402

IMAGE = "docker.io/library/kpbench:v1"
DIRECT_HOSTS = "/tmp/kindplane-bench-direct"  # a hosts dir on the node naming only the upstream
ROWS = (
    "upstream",
    "cold mirror",
    "warm mirror",
    "upstream down, mirror not yet switched",
    "upstream down, mirror serving its cache",
    "upstream down, mirror as before #21",
)
# registry:2's access log: "GET /v2/… HTTP/1.1" 200 <bytes>
_SENT = re.compile(r'"GET /v2/\S+ HTTP/[0-9.]+" \d{3} (\d+)')


def _checked(result: subprocess.CompletedProcess) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"{result.args!r} exited {result.returncode}: {result.stderr.strip()[-2000:]}")


class Bench:
    def __init__(self, image: str) -> None:
        self.image = image  # the mirror's registry image
        self.name, self.mirror = unique_name("kpbench"), unique_name("kpbench-mirror")
        self.upstream = None
        self.program = None

    def up(self, images: Images) -> None:
        ensure_node_image()
        ensure_registry_image()
        self.upstream = start_upstream(unique_name("kpbench-up"))
        self.upstream.push(images.first, "library/kpbench:v1")
        self.program = mirror_program(
            f"cluster:\n  name: {self.name}\n  mirrors:\n"
            f"    - {{remote: '{self.upstream.url}', host: docker.io, name: {self.mirror}, image: '{self.image}'}}\n"
        )
        run_mirror(self.program.containers[self.mirror], image=self.image)
        self.new_cluster()

    def recreate_mirror_as_before(self) -> None:
        """The mirror again on the same cache volume, without the DNS options and the offline loop."""
        inputs = {k: v for k, v in self.program.containers[self.mirror].items() if k not in ("dnsOpts", "entrypoints")}
        remove_container(self.mirror)
        run_mirror(inputs, image=self.image)

    def mode(self) -> str:
        done = subprocess.run(["docker", "exec", self.mirror, "cat", MIRROR_MODE_FILE], capture_output=True, text=True)
        return done.stdout.strip()

    def wait_mode(self, wanted: str) -> None:
        deadline = time.monotonic() + 3 * MIRROR_PROBE_SECONDS
        while self.mode() != wanted:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.mirror} did not switch to {wanted} mode")
            time.sleep(0.5)

    def new_cluster(self) -> None:
        """kind delete + create and the program's hosts.toml writes (the `down`/`up` of a cluster)."""
        run_program_command(self.program.kind, "delete")
        _checked(run_program_command(self.program.kind))
        for write in self.program.hosts_toml.values():
            _checked(run_program_command(write))
        (self.node,) = StandinCluster(self.name).containerd_nodes()
        # (this containerd refuses a hosts.toml without a host table, so the upstream is named twice)
        direct = (
            f'server = "{self.upstream.url}"\n\n[host."{self.upstream.url}"]\n  capabilities = ["pull", "resolve"]\n'
        )
        sh(
            [
                "docker",
                "exec",
                "-i",
                self.node,
                "sh",
                "-c",
                f"mkdir -p {DIRECT_HOSTS}/docker.io && cat > {DIRECT_HOSTS}/docker.io/hosts.toml",
            ],
            input=direct,
        )

    def down(self) -> None:
        if self.program is not None:
            run_program_command(self.program.kind, "delete")
        remove_container(self.mirror)
        remove_volume(f"{self.mirror}-data")
        if self.upstream is not None:
            self.upstream.remove()

    def empty_node(self) -> None:
        # containerd may still hold a fetch's leftovers for a moment: retry before giving up.
        for _ in range(10):
            sh(["docker", "exec", self.node, "sh", "-c", "ctr content ls -q | xargs -r ctr content rm"])
            if du(self.node, CONTENT_DIR) <= 1_000_000:
                return
            time.sleep(1)
        raise RuntimeError(f"{self.node}: content store not empty")

    def empty_mirror(self) -> None:
        sh(
            [
                "docker",
                "exec",
                self.mirror,
                "rm",
                "-rf",
                "/var/lib/registry/docker",
                "/var/lib/registry/scheduler-state.json",
            ]
        )
        sh(["docker", "restart", "-t", "1", self.mirror])  # drops its in-memory blob descriptors
        run_mirror_ready(self.mirror)

    def fetch(self, hosts_dir: str) -> dict:
        since = time.time()
        start = time.perf_counter()
        sh(["docker", "exec", self.node, "ctr", "content", "fetch", "--hosts-dir", hosts_dir, IMAGE])
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "upstream_bytes": self.upstream_sent(since),
            "node_bytes": du(self.node, CONTENT_DIR),
        }

    def upstream_sent(self, since: float) -> int:
        """Bytes of the GET responses in the upstream's access log since `since` (epoch seconds)."""
        time.sleep(0.2)  # let the upstream flush its access log lines
        stamp = datetime.fromtimestamp(since, timezone.utc).isoformat()
        logs = subprocess.run(["docker", "logs", "--since", stamp, self.upstream.name], capture_output=True, text=True)
        return sum(int(b) for b in _SENT.findall(logs.stdout + logs.stderr))

    def fetch_offline(self, switched: bool = False) -> dict:
        """The warm pull with the upstream stopped; `switched`: once the mirror serves its cache alone."""
        self.empty_node()
        sh(["docker", "stop", "-t", "1", self.upstream.name])
        try:
            if switched:
                self.wait_mode("cache")
            return self.fetch("/etc/containerd/certs.d")
        finally:
            sh(["docker", "start", self.upstream.name])
            wait_for_registry(self.upstream.port)
            if self.mode():  # kindplane's loop: proxying again before the next pull
                self.wait_mode("proxy")


def run_mirror_ready(name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (
        subprocess.run(
            ["docker", "exec", name, "wget", "-q", "-O", "/dev/null", "http://localhost:5000/v2/"], capture_output=True
        ).returncode
        != 0
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not answer /v2/")
        time.sleep(0.2)


def repetition(bench: Bench) -> dict:
    out = {}
    bench.empty_node()
    out["upstream"] = bench.fetch(DIRECT_HOSTS)
    bench.empty_node()
    bench.empty_mirror()
    out["cold mirror"] = bench.fetch("/etc/containerd/certs.d")
    bench.new_cluster()  # the second cluster: fresh node, the mirror (and its cache) kept
    out["warm mirror"] = bench.fetch("/etc/containerd/certs.d")
    out["upstream down, mirror not yet switched"] = bench.fetch_offline()
    out["upstream down, mirror serving its cache"] = bench.fetch_offline(switched=True)
    return out


def report(reps: list[dict]) -> str:
    upstream = summarize([r["upstream"]["seconds"] for r in reps]).median
    rows = []
    for row in ROWS:
        runs = [r[row] for r in reps if row in r]
        if not runs:
            continue
        seconds = summarize([r["seconds"] for r in runs])
        rows.append(
            [
                row,
                seconds.fmt(),
                f"{upstream / seconds.median:.2f}×",
                human_bytes(sorted(r["upstream_bytes"] for r in runs)[len(runs) // 2]),
                human_bytes(sorted(r["node_bytes"] for r in runs)[len(runs) // 2]),
            ]
        )
    return table(
        [
            "first pull on a fresh node via",
            "seconds (median, min–max)",
            "vs upstream",
            "sent by the upstream (median)",
            "stored on the node (median)",
        ],
        rows,
    )


def run_one(image: str, images: Images, reps: int) -> list[dict]:
    bench = Bench(image)
    try:
        bench.up(images)
        results = [repetition(bench) for _ in range(reps)]
        bench.recreate_mirror_as_before()
        for result in results:
            result["upstream down, mirror as before #21"] = bench.fetch_offline()
        return results
    finally:
        bench.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--images", nargs="+", default=["registry:2", "registry:3"])
    args = parser.parse_args()
    summarize([0.0] * args.reps)  # refuse fewer than 5 repetitions before doing any work
    images = None
    try:
        ensure_registry_image()
        if "registry:3" in args.images:
            ensure_registry_v3_image()
        images = Images.build(unique_name("kpbench"))
        print("## Pull-through mirror: a fresh cluster's first pull\n")
        print(
            f"image: docker.io/library/kpbench:v1, 50.0 MB in 3 layers; upstream: registry:2 on the "
            f"same host (kind network); {args.reps} repetitions\n"
        )
        for image in args.images:
            reps = run_one(image, images, args.reps)
            print(f"### mirror image {image}\n")
            print(report(reps))
            print()
    finally:
        if images:
            subprocess.run(["docker", "rmi", *images.tags], capture_output=True)


if __name__ == "__main__":
    main()
