"""`kindplane doctor` checks for pull-through mirrors: container, API, network, upstream, hosts.toml.

The mirror publishes no host port by default, so its API and its upstream are probed from inside
the container with the `wget` both the official registry:2 image and Debian's build carry.
"""
from __future__ import annotations

import re
import shlex
from typing import Any

from ..core.config import KindplaneConfig, MirrorConfig
from ..core.naming import kind_network, mirror_cluster_address, node_names
from ..core.render import commands as render_commands
from ..core.render.mirror import mirror_hosts_dir, mirror_hosts_toml
from .check_result import CheckResult, fail, ok, skip
from .container_checks import container_running, on_network

q = shlex.quote
UPSTREAM_TIMEOUT = 10  # seconds for the upstream probe
PROBE_REPOSITORY = "kindplane/doctor-probe"  # a repository no registry should have
_HTTP_STATUS = re.compile(r"HTTP/[0-9.]+ (\d{3})")


def check_mirrors(config: KindplaneConfig, client: Any, kindplane: str = "kindplane") -> list[CheckResult]:
    results: list[CheckResult] = []
    nodes = node_names(config.cluster)
    for i, mirror in enumerate(config.cluster.mirrors):
        results.extend(_MirrorChecks(mirror, f"cluster.mirrors[{i}]", client, kindplane).run(nodes))
    return results


class _MirrorChecks:
    def __init__(self, mirror: MirrorConfig, key: str, client: Any, kindplane: str):
        self.mirror, self.key, self.client, self.kindplane = mirror, key, client, kindplane

    def run(self, nodes: list[str]) -> list[CheckResult]:
        from .docker_lookup import inspect_container

        name = self.mirror.name
        attrs = inspect_container(self.client, name)
        container = self.check_container(attrs)
        if not container.ok:
            return [container, skip(f"mirror {name}: API, network, upstream", "the mirror container is not running")]
        return [
            container,
            self.check_api(),
            self.check_network(attrs),
            self.check_upstream(),
            *(self.check_hosts_toml(node) for node in nodes),
        ]

    def check_container(self, attrs: Any) -> CheckResult:
        title = f"mirror {self.mirror.name} running ({self.mirror.host} → {self.mirror.remote})"
        return container_running(title, self.mirror.name, "mirror", attrs, f"{self.kindplane} up")

    def _exec(self, argv: list[str]) -> tuple[int, str]:
        result = self.client.containers.get(self.mirror.name).exec_run(argv, stdout=True, stderr=True)
        return result.exit_code, (result.output or b"").decode("utf-8", "replace")

    def check_api(self) -> CheckResult:
        title = f"mirror {self.mirror.name}: GET /v2/"
        code, output = self._exec(["wget", "-q", "-O", "-", "http://localhost:5000/v2/"])
        if code != 0:
            return fail(title, f"the registry inside does not answer: {output.strip() or f'exit {code}'}",
                        f"docker restart {q(self.mirror.name)}")
        return ok(title, "HTTP 200")

    def check_network(self, attrs: dict) -> CheckResult:
        network = kind_network()
        title = f"mirror {self.mirror.name} on the {network!r} network"
        return on_network(title, self.mirror.name, attrs, network, mirror_cluster_address(self.mirror))

    def check_upstream(self) -> CheckResult:
        """Asks the mirror for a manifest no one has: to answer it must ask the upstream, through
        its own proxy client (its DNS, network and credentials), so a 4xx means it got through."""
        remote = self.mirror.remote
        title = f"mirror {self.mirror.name} reaches {remote}"
        # busybox wget: -S prints the status line of error answers too (its -T crashes in some builds).
        argv = ["timeout", str(UPSTREAM_TIMEOUT), "wget", "-S", "-O", "/dev/null", f"http://localhost:5000/v2/{PROBE_REPOSITORY}/manifests/latest"]
        _, output = self._exec(argv)
        status = _HTTP_STATUS.findall(output)
        if status and status[-1].startswith("4"):
            return ok(title, f"the upstream answered a probe for a missing image (HTTP {status[-1]})")
        found = f"HTTP {status[-1]}" if status else f"no answer within {UPSTREAM_TIMEOUT} s"
        return fail(
            title,
            f"{found}; cached images still pull, new ones fail. Check {self.key}.remote, its "
            f"credentials and that the mirror's network reaches it, then restart the mirror",
            f"docker restart {q(self.mirror.name)}",
        )

    def check_hosts_toml(self, node: str) -> CheckResult:
        from .docker_lookup import inspect_container

        path = f"{mirror_hosts_dir(self.mirror)}/hosts.toml"
        title = f"{node}: {path}"
        attrs = inspect_container(self.client, node)
        if attrs is None or not (attrs.get("State") or {}).get("Running"):
            return skip(title, "node not running (see the node checks)")
        expected = mirror_hosts_toml(self.mirror)
        result = self.client.containers.get(node).exec_run(["cat", path], stdout=True, stderr=True)
        text = (result.output or b"").decode("utf-8", "replace")
        if result.exit_code == 0 and text.strip() == expected.strip():
            return ok(title, f"pulls of {self.mirror.host} go through {mirror_cluster_address(self.mirror)}")
        problem = "missing" if result.exit_code != 0 else f"differs (has {text.strip()!r})"
        return fail(title, problem, self._write_fix(node))

    def _write_fix(self, node: str) -> str:
        """The write `kindplane up` does, with the file fed by printf instead of stdin."""
        lines = " ".join(q(line) for line in mirror_hosts_toml(self.mirror).splitlines())
        write = render_commands.write_hosts_files(node, [mirror_hosts_dir(self.mirror)])
        return f"printf '%s\\n' {lines} | {write}"
