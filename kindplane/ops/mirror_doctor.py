"""`kindplane doctor` checks for pull-through mirrors: container, API, network, upstream, hosts.toml.

The mirror publishes no host port by default, so its API and its upstream are probed from inside
the container with the `wget` the official registry:2 and registry:3 images and Debian's build carry.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional

from ..core.config import KindplaneConfig, MirrorConfig
from ..core.contract import SELF_ADDRESS
from ..core.naming import kind_network, mirror_cluster_address, node_names
from ..core.render import commands as render_commands
from ..core.render.pull_through import (
    MIRROR_MODE_FILE,
    MIRROR_PROBE_SECONDS,
    PROXY_TTL,
    mirror_env,
    mirror_hosts_dir,
    mirror_hosts_toml,
)
from .check_result import CheckResult, fail, ok, skip
from .container_checks import container_running, on_network
from .docker_lookup import exec_text, read_container_file
from .registry.distribution_version import DistributionVersion, describe, running_container_version

if TYPE_CHECKING:
    from docker import DockerClient

q = shlex.quote
UPSTREAM_TIMEOUT = 10  # seconds for the upstream probe
_HTTP_STATUS = re.compile(r"HTTP/[0-9.]+ (\d{3})")


def check_mirrors(config: KindplaneConfig, client: DockerClient, kindplane: str = "kindplane") -> list[CheckResult]:
    results: list[CheckResult] = []
    nodes = node_names(config.cluster)
    for i, mirror in enumerate(config.cluster.mirrors):
        results.extend(_MirrorChecks(mirror, f"cluster.mirrors[{i}]", client, kindplane).run(nodes))
    return results


class _MirrorChecks:
    def __init__(self, mirror: MirrorConfig, key: str, client: DockerClient, kindplane: str):
        self.mirror, self.key, self.client, self.kindplane = mirror, key, client, kindplane
        self.version: Optional[DistributionVersion] = None

    def run(self, nodes: list[str]) -> list[CheckResult]:
        from .docker_lookup import inspect_container

        name = self.mirror.name
        attrs = inspect_container(self.client, name)
        container = self.check_container(attrs)
        if not container.ok or attrs is None:
            return [container, skip(f"mirror {name}: API, network, upstream", "the mirror container is not running")]
        return [
            container,
            *self.check_ttl(attrs),
            self.check_api(),
            self.check_network(attrs),
            self.check_upstream(),
            *(self.check_hosts_toml(node) for node in nodes),
        ]

    def check_container(self, attrs: Any) -> CheckResult:
        title = f"mirror {self.mirror.name} running ({self.mirror.host} → {self.mirror.remote})"
        result = container_running(title, self.mirror.name, "mirror", attrs, f"{self.kindplane} up")
        if result.status == "ok":
            self.version = running_container_version(self.client, attrs)
            return replace(result, detail=f"{describe(self.version)}, {result.detail}")
        return result

    def check_ttl(self, attrs: dict) -> list[CheckResult]:
        """`ttl` reaches the proxy only on distribution v3; 2.8 ignores the variable (and logs so)."""
        if self.mirror.ttl is None:
            return []
        title = f"mirror {self.mirror.name}: ttl {self.mirror.ttl}"
        if self.version is not None and not self.version.proxy_ttl:
            return [
                fail(
                    title,
                    f"distribution {self.version} has no proxy ttl (it always keeps 7 days): set "
                    f"{self.key}.image: registry:3, then `docker rm -f {q(self.mirror.name)}` and "
                    f"`{self.kindplane} up` (the cache volume stays)",
                )
            ]
        env = (attrs.get("Config") or {}).get("Env") or []
        wanted = next(e for e in mirror_env(self.mirror) if e.startswith(f"{PROXY_TTL}="))
        if wanted not in env:
            return [
                fail(
                    title,
                    f"the container runs without {wanted} (created before ttl was set)",
                    f"docker rm -f {q(self.mirror.name)} && {self.kindplane} up",
                )
            ]
        return [ok(title, f"{wanted} ({describe(self.version)})")]

    def _exec(self, argv: list[str]) -> tuple[int, str]:
        return exec_text(self.client.containers.get(self.mirror.name), argv)

    def check_api(self) -> CheckResult:
        title = f"mirror {self.mirror.name}: GET /v2/"
        code, output = self._exec(["wget", "-q", "-O", "-", f"http://{SELF_ADDRESS}/v2/"])
        if code != 0:
            return fail(
                title,
                f"the registry inside does not answer: {output.strip() or f'exit {code}'}",
                f"docker restart {q(self.mirror.name)}",
            )
        return ok(title, "HTTP 200")

    def check_network(self, attrs: dict) -> CheckResult:
        network = kind_network()
        title = f"mirror {self.mirror.name} on the {network!r} network"
        return on_network(title, self.mirror.name, attrs, network, mirror_cluster_address(self.mirror))

    def check_upstream(self) -> CheckResult:
        """Asks the upstream for /v2/ from inside the mirror (its DNS and network): any HTTP answer
        means it is reachable. Through the proxy a missing image's 404 would not tell: the proxy
        answers 404 from its cache when the upstream is down."""
        remote = self.mirror.remote
        title = f"mirror {self.mirror.name} reaches {remote}"
        fix = f"docker restart {q(self.mirror.name)}"
        code, mode = self._exec(["cat", MIRROR_MODE_FILE])
        serving = (
            f"it serves its cache only: cached images still pull, at full speed, new ones fail; it checks "
            f"again every {MIRROR_PROBE_SECONDS} s"
            if code == 0 and mode.strip() == "cache"
            else "cached images still pull, new ones fail"
        )
        # busybox wget: -S prints the status line of error answers too (its -T crashes in some builds).
        argv = ["timeout", str(UPSTREAM_TIMEOUT), "wget", "-S", "-O", "/dev/null", f"{remote}/v2/"]
        _, output = self._exec(argv)
        status = _HTTP_STATUS.findall(output)
        if status:
            return ok(title, f"the upstream answered GET /v2/ (HTTP {status[-1]})")
        return fail(
            title,
            f"no answer within {UPSTREAM_TIMEOUT} s; {serving}. Check {self.key}.remote and that the mirror's "
            f"network reaches it",
            fix,
        )

    def check_hosts_toml(self, node: str) -> CheckResult:
        from .docker_lookup import inspect_container

        path = f"{mirror_hosts_dir(self.mirror)}/hosts.toml"
        title = f"{node}: {path}"
        attrs = inspect_container(self.client, node)
        if attrs is None or not (attrs.get("State") or {}).get("Running"):
            return skip(title, "node not running (see the node checks)")
        expected = mirror_hosts_toml(self.mirror)
        text = read_container_file(self.client, node, path)
        if text is not None and text.strip() == expected.strip():
            return ok(title, f"pulls of {self.mirror.host} go through {mirror_cluster_address(self.mirror)}")
        problem = "missing" if text is None else f"differs (has {text.strip()!r})"
        return fail(title, problem, self._write_fix(node))

    def _write_fix(self, node: str) -> str:
        """The write `kindplane up` does, with the file fed by printf instead of stdin."""
        lines = " ".join(q(line) for line in mirror_hosts_toml(self.mirror).splitlines())
        write = render_commands.write_hosts_files(node, [mirror_hosts_dir(self.mirror)])
        return f"printf '%s\\n' {lines} | {write}"
