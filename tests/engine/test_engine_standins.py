"""The Go tests of the two stand-ins the toolchain builds in place of Pulumi's own (the Python
language host, the command provider): each checks a documented behaviour of the original.

They run with the Go module cache the toolchain build filled (GOPROXY=off: nothing is downloaded),
so they belong to the engine tests; with CI=true a missing Go or module is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from harness.docker_env import in_ci

TOOLCHAIN = Path(__file__).resolve().parents[1] / "harness" / "toolchain"
STANDINS = {
    "language host": (TOOLCHAIN / "pulumi", "./cmd/pulumi-language-python"),
    "command provider": (TOOLCHAIN / "command", "./local"),
}

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("name", sorted(STANDINS))
def test_the_standins_go_tests_pass(name):
    module, package = STANDINS[name]
    if shutil.which("go") is None:
        if in_ci():
            pytest.fail("CI=true but Go is not installed (the toolchain build needs it too)", pytrace=False)
        pytest.skip("Go is not installed")
    env = {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-buildvcs=false -mod=readonly",
        "GOPROXY": "off",
        "CGO_ENABLED": "0",
    }
    done = subprocess.run(
        ["go", "test", "-count=1", package], cwd=module, env=env, capture_output=True, text=True, timeout=1800
    )
    output = done.stdout + done.stderr
    if done.returncode != 0 and "module lookup disabled by GOPROXY=off" in output and not in_ci():
        pytest.skip(f"the Go module cache lacks what {name}'s tests import (bash tests/harness/toolchain.sh build)")
    assert done.returncode == 0, output[-6000:]
