"""The containerd 2 node: kind's own base config, kind's merge of kindplane's patch, and which
CRI registry plugin paths containerd 2 honours when they are merged into kind's version-2 file.

kind v0.27 and later ship containerd 2, which renamed the CRI registry plugin
(`io.containerd.cri.v1.images`) and migrates a version-2 config in memory. These tests read
containerd's effective config (`containerd config dump`, its own loader) on real nodes made by
the `kind` stand-in, and fetch through the hosts directory that config names.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from harness.fixtures import nodes_of_kind
from harness.images import kind_base_containerd_config_for_standin
from harness.names import unique_name
from harness.real_kind import kind_base_containerd_config
from harness.shell import run_program_command

from kindplane.core.naming import CERTS_DIR
from kindplane.core.render.containerd import config_path_patch, hosts_dirs

VERSIONS = Path(__file__).resolve().parents[1] / "harness" / "toolchain" / "versions.env"


def pinned(variable: str) -> str:
    [line] = [line for line in VERSIONS.read_text().splitlines() if line.startswith(f"{variable}=")]
    return line.split("=", 1)[1]


def kind_module_dir() -> Path:
    found = subprocess.run(
        ["go", "mod", "download", "-json", f"sigs.k8s.io/kind@{pinned('KIND_VERSION')}"],
        capture_output=True,
        text=True,
        env={**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off"},
        cwd="/",
    )
    dir_line = re.search(r'"Dir": "([^"]+)"', found.stdout)
    assert dir_line, (
        f"sigs.k8s.io/kind is not in the Go module cache (build the toolchain's kind piece): {found.stderr}"
    )
    return Path(dir_line.group(1))


def kind_yaml(patch: str | None) -> str:
    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n"
    if patch is not None:
        text += "containerdConfigPatches:\n- |\n" + "".join(f"  {line}\n" for line in patch.splitlines())
    return text


def test_the_node_runs_the_containerd_of_kinds_node_image(cluster_factory):
    dockerfile = (kind_module_dir() / "images" / "base" / "Dockerfile").read_text()
    assert f'ARG CONTAINERD_VERSION="{pinned("CONTAINERD_VERSION")}"' in dockerfile
    made = cluster_factory(kind_yaml(None))
    version = made.exec(made.nodes()[0], ["containerd", "--version"])
    assert version.stdout.split()[2] == pinned("CONTAINERD_VERSION"), version.stdout


def test_the_node_starts_from_kinds_own_base_config_with_only_the_snapshotter_changed(cluster_factory):
    base = kind_base_containerd_config()
    assert base == (kind_module_dir() / "images/base/files/etc/containerd/config.toml").read_text()
    changed = [
        (a, b)
        for a, b in zip(base.splitlines(), kind_base_containerd_config_for_standin().splitlines(), strict=True)
        if a != b
    ]
    assert changed == [('  snapshotter = "overlayfs"', '  snapshotter = "native"')]
    assert base.startswith("# explicitly use v2 config format\nversion = 2\n")  # containerd 2 migrates it
    made = cluster_factory(kind_yaml(None))
    node = made.nodes()[0]
    assert made.read_file(node, "/etc/containerd/config.toml").decode() == kind_base_containerd_config_for_standin()
    assert made.cri_registry_config_path(node) == ""  # kind's base names no hosts directory


@pytest.mark.parametrize(
    ("patch", "honoured"),
    [
        pytest.param(config_path_patch(), True, id="kindplane's patch (io.containerd.grpc.v1.cri)"),
        pytest.param(
            f'[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "{CERTS_DIR}"\n',
            True,
            id="containerd 2's own name (io.containerd.cri.v1.images)",
        ),
        pytest.param(
            f'[plugins."io.containerd.cri.v1.image".registry]\n  config_path = "{CERTS_DIR}"\n',
            False,
            id="a wrong plugin path",
        ),
        pytest.param(
            f'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "{CERTS_DIR}"\n',
            False,
            id="version 3 patch: kind skips it on its version-2 base",
        ),
    ],
)
def test_which_patch_spellings_containerd_2_honours_on_kinds_base(
    cluster_factory, registry_factory, app_image, patch, honoured
):
    made = cluster_factory(kind_yaml(patch), name=unique_name("kpt-c2"))
    node = made.nodes()[0]
    assert made.cri_registry_config_path(node) == (CERTS_DIR if honoured else "")
    # The registry wired as kindplane wires it: a fetch through the CRI's hosts directory works
    # exactly when containerd took the patch.
    registry = registry_factory(cluster=made.name)
    ref = registry.push(app_image)
    for command in registry.commands.hosts_toml.values():
        assert run_program_command(command).returncode == 0
    assert run_program_command(registry.commands.network_join).returncode == 0
    for directory in hosts_dirs(registry.commands.config.cluster.registry):
        assert made.exec(node, ["test", "-s", f"{directory}/hosts.toml"]).returncode == 0
    fetched = made.cri_fetch(node, ref)
    assert (fetched.returncode == 0) == honoured, fetched.stderr


def test_the_containerd_1_node_still_honours_kindplanes_patch(cluster_factory):
    with nodes_of_kind("containerd1"):
        made = cluster_factory(kind_yaml(config_path_patch()))
    node = made.nodes()[0]
    assert made.exec(node, ["containerd", "--version"]).stdout.split()[2].startswith("1.")
    assert made.cri_registry_config_path(node) == CERTS_DIR
