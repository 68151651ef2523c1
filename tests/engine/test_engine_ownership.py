"""Who owns what, under the real engine: stack identity, registry ownership, persistent toggles."""

from __future__ import annotations

import json
import re

from harness.cluster import StandinCluster
from harness.engine import container_id, engine_config
from harness.fixtures import push_to
from harness.names import free_port, unique_name
from harness.registry import registry_get


def stack_names(project) -> list[str]:
    return [s["name"] for s in json.loads(project.run(["pulumi", "stack", "ls", "--json"]).stdout)]


def test_renaming_the_cluster_replaces_it_in_the_same_stack(new_project):
    project = new_project(workers=0)
    project.kindplane("-c", str(project.config_path), "up")
    renamed = unique_name("kpe")
    project.write_config(engine_config(renamed, project.registry, project.port, workers=0))
    refused = project.kindplane("-c", str(project.config_path), "up", check=False)  # no terminal
    assert refused.returncode == 1
    assert (
        f"warning: cluster {project.cluster} will be deleted and cluster {renamed} created: every workload "
        f"in {project.cluster} is lost; reason: name {project.cluster} → {renamed}"
    ) in refused.stderr.splitlines()
    assert StandinCluster(project.cluster).nodes() == [f"{project.cluster}-control-plane"]
    up = project.kindplane("-c", str(project.config_path), "up", "--yes")
    assert "Stack e2e " in up.stdout
    assert StandinCluster(project.cluster).nodes() == []  # the old cluster went with the rename
    assert StandinCluster(renamed).nodes() == [f"{renamed}-control-plane"]
    assert stack_names(project) == ["e2e"]
    project.pulumi("preview", "--expect-no-changes")


def test_down_with_a_stack_name_that_does_not_exist_creates_nothing(new_project):
    project = new_project(workers=0)
    project.kindplane("-c", str(project.config_path), "up")
    down = project.kindplane("-c", str(project.config_path), "-s", "e2e-typo", "down", "--force", check=False)
    assert down.returncode == 1
    assert "error: there is no stack 'e2e-typo'" in down.stderr
    assert "Destroyed" not in down.stdout
    assert stack_names(project) == ["e2e"]
    assert container_id(project.registry) is not None


def test_a_second_stack_never_adopts_or_deletes_the_first_stacks_registry(new_project, app_image):
    first = new_project(persistent=True, workers=0)
    first.init_stack()
    first.up()
    kept_id = container_id(first.registry)
    push_to(f"localhost:{first.port}", app_image, "mine/app:v1")

    # Another stack whose config names the same registry (and port).
    second = new_project(persistent=True, workers=0, stack="other", registry=first.registry, port=first.port)
    second.init_stack()
    refused = second.up(check=False)
    assert refused.returncode != 0
    text = refused.stdout + refused.stderr
    assert "belongs to kindplane stack 'kindplane/e2e', not to this stack 'kindplane/other'" in text
    assert "`kindplane down -s e2e`" in text
    assert second.managed_resources() == []  # nothing created by the refused run
    second.destroy()
    assert container_id(first.registry) == kept_id
    assert registry_get(first.port, "/v2/mine/app/tags/list")[1]["tags"] == ["v1"]


def test_persistent_turned_off_with_a_port_change_converges_in_one_up_without_a_409(new_project, app_image):
    project = new_project(persistent=True, workers=0)
    project.init_stack()
    project.up()
    push_to(f"localhost:{project.port}", app_image, "kept/app:v1")

    new_port = free_port()
    project.write_config(engine_config(project.cluster, project.registry, new_port, persistent=False, workers=0))
    up = project.up()
    # HTTP 409 as a word: the output also shows image digests, whose hex may contain "409".
    assert re.search(r"\b409\b", up.stdout) is None and "Conflict" not in up.stdout
    assert registry_get(new_port, "/v2/kept/app/tags/list")[1]["tags"] == ["v1"]  # the same images, on the new port
    project.up("--expect-no-changes")


def test_down_says_what_the_state_does_after_persistent_was_toggled_without_an_up(new_project):
    # false → true, no up in between: the state still deletes the registry, and down says so.
    project = new_project(persistent=False, workers=0)
    project.kindplane("-c", str(project.config_path), "up")
    project.write_config(engine_config(project.cluster, project.registry, project.port, persistent=True, workers=0))
    down = project.kindplane("-c", str(project.config_path), "down", "--force")
    assert f"Registry {project.registry} and its images were deleted." in down.stdout
    assert "preserved" not in down.stdout
    assert container_id(project.registry) is None

    # true → false, no up in between: the state still keeps it, and down says so.
    kept = new_project(persistent=True, workers=0, stack="kept")
    kept.kindplane("-c", str(kept.config_path), "up")
    kept_id = container_id(kept.registry)
    kept.write_config(engine_config(kept.cluster, kept.registry, kept.port, persistent=False, workers=0))
    down = kept.kindplane("-c", str(kept.config_path), "down", "--force")
    assert f"Local registry preserved (persistent mode): container {kept.registry}" in down.stdout
    assert container_id(kept.registry) == kept_id


def test_docker_unreachable_while_the_program_runs_stops_up_with_the_reason(new_project):
    project = new_project(persistent=True, workers=0)
    project.init_stack()
    project.up()
    kept_id = container_id(project.registry)
    failed = project.up(check=False, DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert failed.returncode != 0
    text = failed.stdout + failed.stderr
    assert "Docker daemon not reachable" in text and "start Docker (or set DOCKER_HOST) and run up again" in text
    assert container_id(project.registry) == kept_id
    project.pulumi("preview", "--expect-no-changes")
