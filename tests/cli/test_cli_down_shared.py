"""down with a shared registry: a non-persistent owner refuses while other clusters pull through
its registry (with or without --force, unless --delete-shared), and an external stack leaves the
registry alone.

The users are found by ops.registry.pulling_clusters (real-Docker test: tests/docker/test_docker_shared_registry.py);
here the CLI's decision and words are checked with that look-up replaced.
"""

from __future__ import annotations

import pytest
from harness.names import unique_name
from recording_engine import DOWN_CALLS

from kindplane.cli.engine import RegistryFate
from kindplane.ops.registry import pulling_clusters

docker = pytest.mark.docker


@pytest.fixture
def users(monkeypatch):
    asked = []
    found: list[str] = []

    def clusters_using_registry(client, registry_name, except_clusters):
        asked.append((registry_name, set(except_clusters)))
        return list(found)

    monkeypatch.setattr(pulling_clusters, "clusters_using_registry", clusters_using_registry)
    return found, asked


def owner_config(write_config, name: str):
    return write_config(f"cluster:\n  name: {name}\n  registry: {{enabled: true, name: {name}-reg, port: 5999}}\n")


@docker
def test_a_non_persistent_owner_refuses_while_another_cluster_pulls_through_its_registry(
    cli, engine, tools, write_config, docker_ready, users
):
    found, asked = users
    found.append("e2e")
    name = unique_name("kpt-cli")
    engine.fate = RegistryFate(f"{name}-reg", False, None)
    result = cli(["-c", str(owner_config(write_config, name)), "down"], input="y\n", interactive=True)
    assert result.exit_code == 1
    assert result.stderr.strip().replace("\n", " ") == (
        f"error: registry {name}-reg is also used by cluster e2e (its nodes' hosts.toml pulls through it); "
        "down would delete it and its images under them. Remove those clusters first, or make the "
        "registry persistent (persistent: true, then `kindplane up`), or run `kindplane down --delete-shared` "
        "to delete it anyway"
    )
    assert asked == [(f"{name}-reg", {name})]
    assert engine.names == [
        "exists",
        "registry_fate",
        "mirror_fates",
        "managed_clusters",
    ]  # never refreshed nor destroyed


@docker
def test_force_only_skips_the_question_deleting_a_registry_in_use_needs_delete_shared(
    cli, engine, tools, write_config, docker_ready, users
):
    found, asked = users
    found.append("e2e")
    name = unique_name("kpt-cli")
    engine.fate = RegistryFate(f"{name}-reg", False, None)
    path = owner_config(write_config, name)
    kept = cli(["-c", str(path), "down", "--force"])
    assert kept.exit_code == 1
    assert f"error: registry {name}-reg is also used by cluster e2e" in kept.stderr
    assert "refresh" not in engine.names and "destroy" not in engine.names
    engine.calls.clear()
    asked.clear()
    result = cli(["-c", str(path), "down", "--force", "--delete-shared"])
    assert result.exit_code == 0, result.output
    assert engine.names == DOWN_CALLS
    assert f"Registry {name}-reg and its images were deleted." in result.stdout
    assert asked == []  # not even looked for


@docker
def test_the_stacks_own_cluster_under_its_old_name_is_not_another_user(
    cli, engine, tools, write_config, docker_ready, users
):
    # kindplane.yaml renamed the cluster but no up ran since: the state still holds the old one.
    found, asked = users
    name = unique_name("kpt-cli")
    engine.fate = RegistryFate(f"{name}-reg", False, None)
    engine.managed = {f"{name}-old"}
    result = cli(["-c", str(owner_config(write_config, name)), "down", "--force"])
    assert result.exit_code == 0, result.output
    assert asked == [(f"{name}-reg", {name, f"{name}-old"})]


@docker
def test_a_non_persistent_mirror_others_pull_through_is_checked_too(
    cli, engine, tools, write_config, docker_ready, users
):
    found, asked = users
    found.append("e2e")
    name = unique_name("kpt-cli")
    engine.mirrors = [
        RegistryFate("kindplane-mirror-ghcr-io", False, None),
        RegistryFate("kindplane-mirror-docker-io", True, None),
    ]
    result = cli(["-c", str(owner_config(write_config, name)), "down", "--force"])
    assert result.exit_code == 1
    assert asked == [("kindplane-mirror-ghcr-io", {name})]  # the kept one is never asked about
    assert (
        result.stderr.strip()
        .replace("\n", " ")
        .startswith(
            "error: mirror kindplane-mirror-ghcr-io is also used by cluster e2e (its nodes' hosts.toml pulls through "
            "it); down would delete it and its cache under them."
        )
    )


@docker
def test_a_persistent_owner_and_an_unused_registry_go_ahead(cli, engine, tools, write_config, docker_ready, users):
    found, asked = users
    name = unique_name("kpt-cli")
    engine.fate = RegistryFate(f"{name}-reg", False, None)
    result = cli(["-c", str(owner_config(write_config, name)), "down"], input="y\n", interactive=True)
    assert result.exit_code == 0, result.output
    assert asked == [(f"{name}-reg", {name})]
    found.append("e2e")  # a kept registry survives the down: its users are no reason to refuse
    engine.fate = RegistryFate(f"{name}-reg", True, f"{name}-reg-data")
    engine.calls.clear()
    result = cli(["-c", str(owner_config(write_config, name)), "down"], input="y\n", interactive=True)
    assert result.exit_code == 0, result.output
    assert engine.names == DOWN_CALLS


@docker
def test_an_external_stacks_down_says_the_registry_is_left_running(
    cli, engine, tools, write_config, docker_ready, users
):
    name = unique_name("kpt-cli")
    path = write_config(f"cluster:\n  name: {name}\n  registry: {{enabled: true, external: true}}\n")
    engine.fate = RegistryFate("kind-registry", True, None, external=True)
    result = cli(["-c", str(path), "down"], input="y\n", interactive=True)
    assert result.exit_code == 0, result.output
    assert f"Destroy kind cluster {name}? (registry kind-registry is external: shared, left running)" in result.stdout
    assert "Registry kind-registry is external (shared): left running, still on the kind network." in result.stdout
    assert "deleted" not in result.stdout and "preserved" not in result.stdout
