"""Walking the persistence table (docs/persistence.md) under the real engine.

`Walk` owns one project: it writes kindplane.yaml from a few registry settings, runs `up` through
either door, pushes one image before every edit and, after it, checks that every image pushed so
far is still served and that every node fetches it, then that `pulumi preview` shows no change.
`LEDGER` counts images pushed and lost across the whole run, for the closing note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Optional

from .cluster import StandinCluster
from .docker_env import docker
from .engine import EngineProject
from .fixtures import push_to
from .registry import registry_get

KINDPLANE, PULUMI = "kindplane", "pulumi"
# Pulumi's own words that must never reach a user (kindplane says what it found instead).
PULUMI_INTERNALS = ("previously-imported resources", "Conflict", "is already in use by container")


@dataclass
class Ledger:
    pushed: int = 0
    lost: int = 0
    checks: int = 0


LEDGER = Ledger()


@dataclass(frozen=True)
class RegistrySettings:
    cluster: str
    name: str
    port: int
    persistent: bool = False
    listen: Optional[str] = None
    image: Optional[str] = None
    workers: int = 1
    mirrors: str = ""  # the `  mirrors:` block, already indented

    def yaml(self) -> str:
        keys = [
            "enabled: true",
            f"name: {self.name}",
            f"port: {self.port}",
            f"persistent: {str(self.persistent).lower()}",
        ]
        if self.listen:
            keys.append(f"listenAddress: {self.listen}")
        if self.image:
            keys.append(f"image: '{self.image}'")
        return (
            f"cluster:\n  name: {self.cluster}\n  nodes: {{controlPlane: 1, workers: {self.workers}}}\n"
            f"  registry: {{{', '.join(keys)}}}\n{self.mirrors}"
        )


@dataclass
class Walk:
    project: EngineProject
    settings: RegistrySettings
    env: dict[str, str] = field(default_factory=dict)  # e.g. KIND_EXPERIMENTAL_DOCKER_NETWORK
    images: list[str] = field(default_factory=list)  # repo:tag pushed so far

    def __post_init__(self) -> None:
        self.project.write_config(self.settings.yaml())

    # --- edits and doors -------------------------------------------------------------------

    def edit(self, **changes) -> None:
        self.settings = replace(self.settings, **changes)
        self.project.write_config(self.settings.yaml())

    def up(self, door: str = KINDPLANE, check: bool = True):
        if door == KINDPLANE:
            # --yes: some walks rename the cluster or move it to another network, which up asks about
            # (tests/engine/test_engine_safety.py covers the asking); a walk is the user saying yes.
            result = self.project.kindplane("-c", str(self.project.config_path), "up", "--yes", check=check, **self.env)
        else:
            if not self._stack_exists():
                self.project.init_stack()
            result = self.project.up(check=check, **self.env)
        assert_plain_words(result)
        return result

    def down(self):
        return self.project.kindplane("-c", str(self.project.config_path), "down", "--force", **self.env)

    def _stack_exists(self) -> bool:
        listed = self.project.run(["pulumi", "stack", "ls", "--json"]).stdout
        return any(s["name"] == self.project.stack for s in json.loads(listed or "[]"))

    # --- images ----------------------------------------------------------------------------

    def push(self, app_image: str) -> str:
        repo = f"walk/app{len(self.images)}:v1"
        push_to(f"localhost:{self.settings.port}", app_image, repo)
        self.images.append(repo)
        LEDGER.pushed += 1
        return repo

    def assert_every_image_served(self) -> None:
        """Each image pushed so far: listed by the registry and fetched by every containerd node."""
        cluster = StandinCluster(self.settings.cluster)
        nodes = cluster.containerd_nodes()
        assert len(nodes) == 1 + self.settings.workers
        missing = []
        for repo in self.images:
            name, tag = repo.split(":")
            try:
                tags = registry_get(self.settings.port, f"/v2/{name}/tags/list")[1].get("tags") or []
            except OSError:
                tags = []
            fetched = tag in tags and all(
                cluster.ctr_fetch(node, f"localhost:{self.settings.port}/{repo}").returncode == 0 for node in nodes
            )
            LEDGER.checks += 1
            if not fetched:
                missing.append(repo)
        LEDGER.lost += len(missing)
        assert missing == [], f"images lost: {missing}"

    def assert_converged(self) -> None:
        self.assert_every_image_served()
        self.project.pulumi("preview", "--expect-no-changes", **self.env)

    def container_id(self) -> Optional[str]:
        result = docker("inspect", "-f", "{{.Id}}", self.settings.name, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def cleanup(self) -> None:
        self.project.remove_everything()  # every config the walk wrote names its clusters and registries


def assert_plain_words(result) -> None:
    text = result.stdout + result.stderr
    for words in PULUMI_INTERNALS:
        assert words not in text, f"Pulumi's own text reached the user: {words!r}\n{text[-3000:]}"
