"""The kind on PATH and the node image kindplane pins: `up` refuses a kind too old to drive and
warns, with the fix, when the pinned image was built for another kind release."""

from __future__ import annotations

import pytest
from cli_support import write_exe
from harness.names import free_port, unique_name
from recording_engine import step

from kindplane.core.node_images import node_image_table
from kindplane.ops.tools import KIND_VERSION


def fake_kind(home, version: str) -> None:
    write_exe(home / "bin" / "kind", f"#!/bin/sh\necho 'kind {version} go1.26.8 linux/amd64'\n")


def config(write_config, extra: str = ""):
    name = unique_name("kpt-cli")
    text = f"cluster:\n  name: {name}\n  registry: {{enabled: true, port: {free_port()}, name: {name}-reg}}\n{extra}"
    return name, write_config(text)


@pytest.mark.parametrize("version", ["v0.19.0", "v0.8.1"])
def test_up_refuses_a_kind_older_than_hosts_toml_support_before_anything_runs(
    cli, engine, tools, write_config, version
):
    fake_kind(tools, version)
    _, path = config(write_config)
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: kind {version} at {tools}/bin/kind is too old: kindplane needs kind >= v0.20.0 (the first "
        f"release whose nodes read registry hosts.toml files through containerd's config_path); remove it "
        f"and run `kindplane setup` (installs kind {KIND_VERSION})"
    )
    assert engine.calls == []


@pytest.mark.docker
def test_up_warns_with_the_fix_when_the_pinned_image_is_of_another_kind_release(
    cli, engine, tools, write_config, docker_ready
):
    name, path = config(write_config, '  kubernetesVersion: "1.32"\n')
    engine.steps = [step("start", "create", f"{name}-kind"), step("done", "create", f"{name}-kind")]
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    image = node_image_table().rows["1.32"].image
    assert (
        f'warning: cluster.kubernetesVersion "1.32": {image} was built for kind v0.29.0, but the kind kindplane '
        f"runs is {KIND_VERSION}; kind only vouches for node images of its own release: install kind v0.29.0, "
        f'or use kubernetesVersion "1.37" (built for kind {KIND_VERSION}), or set nodeImage to the 1.32 image '
        f"from kind {KIND_VERSION}'s release notes"
    ) in result.stderr.splitlines()
    assert engine.names[-1] == "up"  # a warning, not a refusal


@pytest.mark.docker
def test_up_says_nothing_when_image_and_kind_agree(cli, engine, tools, write_config, docker_ready):
    name, path = config(write_config, '  kubernetesVersion: "1.37"\n')
    engine.steps = [step("start", "create", f"{name}-kind"), step("done", "create", f"{name}-kind")]
    result = cli(["-c", str(path), "up"])
    assert result.exit_code == 0, result.output
    assert "was built for kind" not in result.stderr
