"""Doctor rules that need no Docker: containerd TOML forms, ConfigMap comparison, fix commands."""

from __future__ import annotations

import json
import shlex

import pytest

from kindplane.core.config import parse_config
from kindplane.core.render.commands import write_hosts_toml
from kindplane.core.render.containerd import config_path_patch, hosts_toml
from kindplane.core.render.discovery import CONFIGMAP_KEY, local_registry_hosting
from kindplane.ops.docker_endpoint import DockerEndpoint
from kindplane.ops.docker_start import start_hint
from kindplane.ops.doctor import (
    _write_hosts_fix,
    configmap_result,
    containerd_config_path,
    run_doctor,
)

CONFIG = parse_config("cluster:\n  name: dev\n  registry:\n    enabled: true\n    port: 5001\n")
REGISTRY = CONFIG.cluster.registry


def test_config_path_found_in_kinds_patch_and_in_containerd_2_form():
    assert containerd_config_path("version = 2\n" + config_path_patch()) == "/etc/containerd/certs.d"
    v3 = 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n'
    assert containerd_config_path(v3) == "/etc/containerd/certs.d"


def test_config_path_missing_or_elsewhere():
    assert containerd_config_path('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n') is None
    other = '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/docker/certs.d"\n'
    assert containerd_config_path(other) == "/etc/docker/certs.d"


def test_configmap_matching_and_differing():
    expected = local_registry_hosting(REGISTRY)
    assert configmap_result("cm", dict(expected), expected, "fix").status == "ok"
    stale = {CONFIGMAP_KEY: expected[CONFIGMAP_KEY].replace("5001", "5002")}
    result = configmap_result("cm", stale, expected, "fix")
    assert (result.status, result.detail, result.fix) == (
        "fail",
        f"differs from what kindplane writes in: {CONFIGMAP_KEY}",
        "fix",
    )


def test_hosts_fix_feeds_exactly_hosts_toml_to_ups_own_write_command():
    fix = _write_hosts_fix("dev-worker", REGISTRY)
    feed, write = fix.split(" | ", 1)
    assert write == write_hosts_toml("dev-worker", REGISTRY)
    argv = shlex.split(feed)
    assert argv[:2] == ["printf", "%s\\n"]
    assert "".join(f"{line}\n" for line in argv[2:]) == hosts_toml(REGISTRY)


def test_no_docker_daemon_fails_after_the_tools_and_skips_the_rest(monkeypatch, fake_tools):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    results = run_doctor(CONFIG, kindplane=["kindplane", "-c", "my dir/k.yaml"])
    assert [(r.name, r.status) for r in results] == [
        ("kind installed", "ok"),
        ("Pulumi CLI installed", "ok"),
        ("node image built for this kind", "skip"),
        ("Docker daemon reachable", "fail"),
        ("remaining checks", "skip"),
    ]
    assert results[3].detail.startswith(
        "Docker daemon not reachable at unix:///nonexistent/docker.sock (DOCKER_HOST): "
    )
    # How this machine starts that daemon (every runtime's fix: tests/unit/test_docker_start.py).
    assert results[3].fix == start_hint(DockerEndpoint("unix:///nonexistent/docker.sock", "DOCKER_HOST"))
    assert json.loads(json.dumps([r.as_dict() for r in results]))[3]["status"] == "fail"


# --- the tools `up` drives: found where kindplane looks, with the version they print ------------


def _tool_doctor(tmp_path, monkeypatch, kind: str | None, pulumi: str | None):
    from kindplane.core.config import parse_config
    from kindplane.ops.doctor import Doctor

    home = tmp_path / "home"
    for path, line in ((home / "bin" / "kind", kind), (home / "pulumi" / "bin" / "pulumi", pulumi)):
        if line is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"#!/bin/sh\necho '{line}'\n")
            path.chmod(0o755)
    monkeypatch.setenv("KINDPLANE_HOME", str(home))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    return Doctor(parse_config("cluster: {name: demo}\n"), kindplane="kindplane"), home


def test_tools_found_say_which_versions(tmp_path, monkeypatch):
    doctor, home = _tool_doctor(tmp_path, monkeypatch, "kind v0.29.0 go1.24.2 linux/amd64", "v3.272.0")
    assert (doctor.check_kind().status, doctor.check_kind().detail) == ("ok", f"v0.29.0 at {home}/bin/kind")
    assert (doctor.check_pulumi().status, doctor.check_pulumi().detail) == (
        "ok",
        f"v3.272.0 at {home}/pulumi/bin/pulumi",
    )


def test_tools_too_old_fail_with_the_floor_and_a_fix(tmp_path, monkeypatch):
    doctor, home = _tool_doctor(tmp_path, monkeypatch, "kind v0.17.0 go1.19 linux/amd64", "v3.150.0")
    kind, pulumi = doctor.check_kind(), doctor.check_pulumi()
    assert kind.status == "fail" and kind.detail.startswith(f"v0.17.0 at {home}/bin/kind; kindplane needs >= v0.20.0")
    assert kind.fix == f"rm {home}/bin/kind && kindplane setup"
    assert pulumi.status == "fail" and pulumi.detail.startswith(f"v3.150.0 at {home}/pulumi/bin/pulumi")
    assert ">= 3.182.0" in pulumi.detail and pulumi.fix == "kindplane setup"


def test_missing_tools_fail_with_setup(tmp_path, monkeypatch):
    doctor, home = _tool_doctor(tmp_path, monkeypatch, None, None)
    kind, pulumi = doctor.check_kind(), doctor.check_pulumi()
    assert (kind.status, kind.detail, kind.fix) == ("fail", f"not on PATH nor in {home}/bin", "kindplane setup")
    assert (pulumi.status, pulumi.fix) == ("fail", "kindplane setup")


# --- the node image and the kind that will run it -------------------------------------------


def _release_doctor(tmp_path, monkeypatch, kind_line: str, cluster: str):
    from kindplane.core.config import parse_config
    from kindplane.ops.doctor import Doctor

    _, home = _tool_doctor(tmp_path, monkeypatch, kind_line, "v3.274.1")
    return Doctor(parse_config(cluster), kindplane="kindplane"), home


def test_a_pinned_image_of_another_kind_release_is_a_warning_with_the_fix(tmp_path, monkeypatch):
    doctor, _ = _release_doctor(
        tmp_path, monkeypatch, "kind v0.29.0 go1.24.2 linux/amd64", 'cluster: {name: demo, kubernetesVersion: "1.37"}'
    )
    found = doctor.check_node_image_release()
    assert (found.name, found.status, found.ok) == ("node image built for this kind", "warn", True)
    assert found.detail.startswith('cluster.kubernetesVersion "1.37": kindest/node:v1.37.0@sha256:a1ed56cf')
    assert "was built for kind v0.33.0, but the kind kindplane runs is v0.29.0" in found.detail
    assert found.fix == "kindplane setup"  # installs the release the image was built for


def test_an_image_of_an_older_release_warns_without_setup_as_the_fix(tmp_path, monkeypatch):
    doctor, _ = _release_doctor(
        tmp_path,
        monkeypatch,
        "kind v0.33.0 go1.26.8 linux/amd64",
        "cluster: {name: demo, nodeImage: 'kindest/node:v1.32.5'}",
    )
    found = doctor.check_node_image_release()
    assert found.status == "warn" and found.fix is None
    assert found.detail.startswith("cluster.nodeImage: kindest/node:v1.32.5 was built for kind v0.29.0")


@pytest.mark.parametrize(
    ("cluster", "status"),
    [
        ('cluster: {name: demo, kubernetesVersion: "1.37"}', "ok"),  # the same release
        ("cluster: {name: demo}", "skip"),  # kind's own default image
        ("cluster: {name: demo, nodeImage: 'my/node:v1'}", "ok"),  # unknown: nothing to say
    ],
)
def test_no_warning_when_image_and_kind_agree_or_cannot_be_compared(tmp_path, monkeypatch, cluster, status):
    doctor, _ = _release_doctor(tmp_path, monkeypatch, "kind v0.33.0 go1.26.8 linux/amd64", cluster)
    assert doctor.check_node_image_release().status == status
