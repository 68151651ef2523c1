"""Version floors below which the engine or a provider behaves in ways that lose data.

- pulumi-docker < 5.1 (kreuzwerker v3): a refresh of a stopped container with must_run DELETES
  it, retained or not; 5.1+ marks it for restart instead.
- Pulumi CLI < 3.182: no resource hooks, which take a kept registry or mirror back under management
  (kindplane.ops.keeper removes it right before Pulumi creates its successor).
- kind < 0.20: see MIN_KIND.
"""

from __future__ import annotations

import re

MIN_PULUMI_DOCKER = (5, 1)
MIN_PULUMI_CLI = (3, 182, 0)
# The Pulumi CLI `kindplane setup` installs: the one the real-engine tests run (the test toolchain
# builds it, tests/harness/toolchain/versions.env PULUMI_CLI_VERSION; a test keeps them equal), so
# what kindplane relies on from the engine is proven on the version users get.
PULUMI_CLI_VERSION = "3.274.1"
# kind v0.20.0 is the first release whose nodes read registry config from hosts.toml
# (containerd's config_path) the way kind's own local-registry guide and kindplane write it.
MIN_KIND = (0, 20, 0)


def parse_version(text: str) -> tuple[int, ...]:
    """(3, 272, 0) from "v3.272.0", "3.272.0-alpha.x", …; () when there is no version."""
    found = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return tuple(int(part) for part in found.groups(default="0")) if found else ()


def shown(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


class VersionTooOld(RuntimeError):
    pass


def check_provider_versions() -> None:
    from importlib import metadata  # lazily: only the Pulumi program asks

    found = parse_version(metadata.version("pulumi-docker"))
    if found < MIN_PULUMI_DOCKER:
        raise VersionTooOld(
            f"pulumi-docker {shown(found)} is installed; kindplane needs >= {shown(MIN_PULUMI_DOCKER)} "
            f"(older versions delete a stopped registry container on refresh, kept or not): "
            f"run `pip install -r requirements.txt`"
        )


def pulumi_cli_problem(version_text: str) -> str | None:
    """One line when the Pulumi CLI is too old for resource hooks, else None."""
    found = parse_version(version_text)
    if found and found >= MIN_PULUMI_CLI:
        return None
    return (
        f"the Pulumi CLI is {version_text.strip() or 'of unknown version'}; kindplane needs >= "
        f"{shown(MIN_PULUMI_CLI)} (a kept registry or mirror is taken back with resource hooks): "
        f"run `kindplane setup` (installs {PULUMI_CLI_VERSION}, the version kindplane is tested with) or upgrade Pulumi"
    )
