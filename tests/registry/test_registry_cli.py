"""`kindplane registry ls|push|rm` through the real Typer app against a real registry."""

from __future__ import annotations

import json

import pytest
from harness.names import free_port
from registry_fixtures import LocalRegistry
from typer.testing import CliRunner

from kindplane.cli.app import app
from kindplane.ops.registry.http_api import RegistryClient

pytestmark = pytest.mark.docker


def kindplane_yaml(tmp_path, port: int, enabled: bool = True):
    path = tmp_path / "kindplane.yaml"
    path.write_text(
        f"cluster:\n  name: kpt-cli\n  registry:\n    enabled: {'true' if enabled else 'false'}\n    port: {port}\n"
    )
    return path


def kp(config, *args):
    return CliRunner().invoke(app, ["-c", str(config), *args])


@pytest.fixture
def config(local_registry, tmp_path):
    return kindplane_yaml(tmp_path, local_registry.port)


def test_push_prints_the_reference_to_use_and_ls_shows_it(local_registry, config, images):
    source = images.make(f"kp{local_registry.port}-web:v1", payload=b"web")
    pushed = kp(config, "registry", "push", source)
    target = f"{local_registry.address}/kp{local_registry.port}-web:v1"
    images.track(target)
    assert pushed.exit_code == 0, pushed.output
    assert f"Use in manifests: image: {target}" in pushed.stdout

    listed = kp(config, "registry", "ls", "--json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    digest = RegistryClient(local_registry.address).manifest(f"kp{local_registry.port}-web", "v1").digest
    assert data["registry"] == local_registry.address
    assert [(r["name"], [(t["tag"], t["digest"]) for t in r["tags"]]) for r in data["repositories"]] == [
        (f"kp{local_registry.port}-web", [("v1", digest)])
    ]
    assert data["repositories"][0]["tags"][0]["size"] > 0


def test_ls_lists_several_repositories_with_their_tags(local_registry, config, images):
    for repo, tag in [("api", "v1"), ("api", "v2"), ("team/web", "latest"), ("worker", "1.0")]:
        images.push(images.make(f"{local_registry.address}/{repo}:{tag}", payload=f"{repo}{tag}".encode()))
    result = kp(config, "registry", "ls")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{local_registry.address}: 3 repositories"
    assert [item.split()[0] for item in lines[1:]] == ["api", "v1", "v2", "team/web", "latest", "worker", "1.0"]
    assert all(item.split()[1].startswith("sha256:") for item in lines[1:] if item.startswith("  "))


def test_rm_names_what_it_deletes_then_the_tag_is_gone(local_registry, config, images):
    images.push(images.make(f"{local_registry.address}/app:old", payload=b"old"))
    images.push(images.make(f"{local_registry.address}/app:new", payload=b"new"))
    digest = RegistryClient(local_registry.address).manifest("app", "old").digest
    result = kp(config, "registry", "rm", "app:old")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"Deleting app:old ({digest})"
    assert RegistryClient(local_registry.address).tags("app") == ["new"]


def test_rm_of_a_missing_tag_says_so_and_fails(local_registry, config, images):
    images.push(images.make(f"{local_registry.address}/app:v1"))
    result = kp(config, "registry", "rm", "app:v9")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: app:v9 not found in {local_registry.address} (tags: v1)"
    assert "Traceback" not in result.output
    assert RegistryClient(local_registry.address).tags("app") == ["v1"]


def test_rm_refuses_when_other_tags_share_the_manifest_unless_all_tags(local_registry, config, images):
    ref = images.make(f"{local_registry.address}/app:v1", payload=b"same")
    images.push(ref)
    images.push(images.tag(ref, f"{local_registry.address}/app:latest"))  # same manifest
    refused = kp(config, "registry", "rm", "app:v1")
    assert refused.exit_code == 1
    assert "is tagged app:latest, app:v1" in refused.stderr and "--all-tags" in refused.stderr
    assert RegistryClient(local_registry.address).tags("app") == ["latest", "v1"]

    done = kp(config, "registry", "rm", "app:v1", "--all-tags", "--json")
    assert done.exit_code == 0, done.output
    assert [d["tag"] for d in json.loads(done.stdout)["deleted"]] == ["latest", "v1"]
    assert "Deleting app:latest" in done.stderr and "Deleting app:v1" in done.stderr
    assert RegistryClient(local_registry.address).tags("app") == []


def test_rm_is_refused_clearly_when_delete_is_disabled(local_registry, images, tmp_path):
    images.push(images.make(f"{local_registry.address}/app:v1"))
    readonly = LocalRegistry(tmp_path / "ro", free_port(), storage=local_registry.storage, delete=False)
    try:
        result = kp(kindplane_yaml(tmp_path, readonly.port), "registry", "rm", "app:v1")
    finally:
        readonly.stop()
    assert result.exit_code == 1
    assert "refuses deletes: run the registry with REGISTRY_STORAGE_DELETE_ENABLED=true" in result.stderr
    assert RegistryClient(local_registry.address).tags("app") == ["v1"]


def test_a_registry_that_does_not_answer_is_one_line_with_the_command_that_starts_it(tmp_path):
    port = free_port()
    config = kindplane_yaml(tmp_path, port)
    result = kp(config, "registry", "ls")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: nothing answers on localhost:{port}: the registry container is not running or not published "
        f"on that port; start it with `kindplane -c {config} up` (`kindplane -c {config} doctor` says what is wrong)"
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["rm", "app"], "'app': name the tag to delete, e.g. app:latest"),
        (["rm", "ghcr.io/org/app:v1"], "'ghcr.io/org/app:v1' names registry ghcr.io; this registry is localhost:"),
        (["push", "App:v1"], "repository names are lower-case"),
    ],
)
def test_bad_references_are_usage_errors(tmp_path, args, message):
    result = kp(kindplane_yaml(tmp_path, free_port()), "registry", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_disabled_registry_and_invalid_config(tmp_path):
    disabled = kp(kindplane_yaml(tmp_path, free_port(), enabled=False), "registry", "ls")
    assert disabled.exit_code == 1
    assert "the local registry is disabled in" in disabled.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster:\n  name: x\n  registry:\n    port: 99999\n")
    invalid = kp(bad, "registry", "ls")
    assert invalid.exit_code == 2
    assert "cluster.registry.port: must be between 1 and 65535, got 99999" in invalid.stderr
