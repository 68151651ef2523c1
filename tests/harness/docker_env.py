"""Is a Docker engine here, and what to do when it is not (skip locally, fail in CI).

`require_docker()` is the one rule every Docker test goes through: with CI=true a missing
engine is a failure (CI's `.ci/run` starts one, so its absence is a broken harness); on a
developer machine without Docker the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Sequence


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def docker_problem() -> str | None:
    """Why Docker cannot be used, or None when `docker info` answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed (run tests/harness/ensure_docker.sh start)"
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if result.returncode != 0:
        return f"no Docker daemon answers: {result.stderr.strip() or result.stdout.strip()}"
    return None


def require_docker() -> None:
    """Skip (locally) or fail (CI=true) the calling test when Docker is not usable."""
    import pytest  # lazily: the harness is also used from scripts

    problem = docker_problem()
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"CI=true but Docker is unusable: {problem}", pytrace=False)
    pytest.skip(f"Docker is unusable: {problem}")


def docker(
    *args: str, input: bytes | str | None = None, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Runs `docker ARGS…` (argv, no shell); raises with stderr when it fails and check is set."""
    return run(["docker", *args], input=input, check=check, timeout=timeout)


def run(
    argv: Sequence[str],
    input: bytes | str | None = None,
    check: bool = True,
    timeout: float = 300,
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    text = not isinstance(input, bytes)
    result = subprocess.run(list(argv), input=input, capture_output=True, text=text, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise CommandFailed(list(argv), result)
    return result


class CommandFailed(RuntimeError):
    def __init__(self, argv: list[str], result: subprocess.CompletedProcess):
        self.argv, self.result = argv, result
        super().__init__(f"{argv!r} exited {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}")


def image_exists(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode == 0
