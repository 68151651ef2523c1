"""What `up` records about the settings it applied, and how the next `up` names what changed."""

from __future__ import annotations

from kindplane.core.config import parse_config
from kindplane.core.render.applied_settings import applied_settings, settings_fingerprint
from kindplane.core.settings_diff import setting_changes

BASE = "cluster:\n  name: dev\n  nodes: {workers: 1}\n  registry: {enabled: true}\n"


def cluster(text: str = BASE):
    return parse_config(text).cluster


def changes(old: str, new: str) -> list[str]:
    return [str(c) for c in setting_changes(applied_settings(cluster(old)), applied_settings(cluster(new)))]


def test_a_worker_added_reads_as_the_key_path_with_both_values():
    assert changes(BASE, BASE.replace("workers: 1", "workers: 2")) == ["nodes.workers 1 → 2"]


def test_defaults_are_recorded_so_writing_a_default_out_changes_nothing():
    assert changes(BASE, BASE.replace("{enabled: true}", "{enabled: true, port: 5001, persistent: false}")) == []


def test_list_entries_and_fragment_keys_show_added_and_removed_values():
    mapped = (
        BASE + "  portMappings: [{containerPort: 80, hostPort: 8080}]\n  kind: {networking: {apiServerPort: 6444}}\n"
    )
    assert changes(BASE, mapped) == [
        "portMappings[0] (none) → {containerPort: 80, hostPort: 8080, protocol: TCP, listenAddress: 127.0.0.1}",
        "kind.networking.apiServerPort (none) → 6444",  # a new section reads as its leaves
    ]
    assert (
        changes(mapped, BASE)[0]
        == "portMappings[0] {containerPort: 80, hostPort: 8080, protocol: TCP, listenAddress: 127.0.0.1} → (none)"
    )


def test_mirrors_are_matched_by_name_so_removing_the_first_does_not_change_the_second():
    two = (
        BASE
        + "  mirrors:\n    - {remote: https://registry-1.docker.io}\n    - {remote: https://ghcr.io, hostPort: 5055}\n"
    )
    one = BASE + "  mirrors:\n    - {remote: https://ghcr.io, hostPort: 5056}\n"
    found = changes(two, one)
    assert found[0] == "mirrors[0].hostPort 5055 → 5056"
    assert found[1] == (
        "mirrors[0] {remote: 'https://registry-1.docker.io', host: docker.io, name: kindplane-mirror-docker-io, "
        "persistent: true, image: 'registry:2'} → (none)"
    )


def test_the_fingerprint_moves_with_the_settings_the_kind_network_and_the_owner_only():
    same = settings_fingerprint(cluster(), "kindplane/dev", "kind")
    assert same == settings_fingerprint(
        cluster(BASE.replace("{enabled: true}", "{enabled: true, port: 5001}")), "kindplane/dev", "kind"
    )
    assert same != settings_fingerprint(cluster(BASE.replace("workers: 1", "workers: 2")), "kindplane/dev", "kind")
    assert same != settings_fingerprint(cluster(), "kindplane/dev", "kind-b")
    assert same != settings_fingerprint(cluster(), "kindplane/prod", "kind")
    assert len(same) == 64
