"""Pull-through mirrors: config rules, renderings, the program's resources."""

from __future__ import annotations

import tomllib

import pytest
import yaml
from pulumi.runtime import rpc
from support.pulumi_mocks import COMMAND, CONTAINER, IMAGE, MOCK_OWNER, VOLUME, run_program

from kindplane.core.components.mirror import mirror_hosts_resource
from kindplane.core.config import parse_config
from kindplane.core.credentials import mirror_credentials
from kindplane.core.errors import ConfigError
from kindplane.core.naming import mirror_labels
from kindplane.core.render.kind_config import kind_config_yaml
from kindplane.core.render.pull_through import MIRROR_SUPERVISOR, mirror_hosts_dir, mirror_hosts_toml
from kindplane.program import build

HUB = "cluster: {name: dev, mirrors: [{remote: 'https://registry-1.docker.io'}]}"
TWO = (
    "cluster:\n  name: dev\n  nodes: {controlPlane: 3, workers: 1}\n  registry: {enabled: true}\n  mirrors:\n"
    "    - {remote: 'https://registry-1.docker.io'}\n"
    "    - {remote: 'http://cache.corp:5000', host: registry.corp, name: corp-cache, persistent: false, hostPort: 5100,\n"
    "       usernameEnv: CORP_USER, passwordEnv: CORP_TOKEN}\n"
)
CREDS = {"CORP_USER": "robot", "CORP_TOKEN": "s3cr3t-token"}


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "k.yaml")
    return {p.path: p.message for p in caught.value.problems}


# --- config ---------------------------------------------------------------------------------


def test_docker_hub_defaults_to_host_docker_io_and_a_derived_persistent_name():
    mirror = parse_config(HUB).cluster.mirrors[0]
    assert (mirror.host, mirror.name, mirror.persistent, mirror.host_port) == (
        "docker.io",
        "kindplane-mirror-docker-io",
        True,
        None,
    )


@pytest.mark.parametrize(
    "remote, host, name",
    [
        ("https://ghcr.io", "ghcr.io", "kindplane-mirror-ghcr-io"),
        ("https://quay.io/", "quay.io", "kindplane-mirror-quay-io"),
        ("http://upstream:5000", "upstream:5000", "kindplane-mirror-upstream-5000"),
    ],
)
def test_host_and_name_derive_from_the_remote(remote, host, name):
    mirror = parse_config(f"cluster: {{name: dev, mirrors: [{{remote: '{remote}'}}]}}").cluster.mirrors[0]
    assert (mirror.remote, mirror.host, mirror.name) == (remote.rstrip("/"), host, name)


@pytest.mark.parametrize(
    "remote, message",
    [
        ("ftp://x.io", "must be an http or https URL"),
        ("docker.io", "must be an http or https URL"),
        ("https://u:p@x.io", "must not contain credentials"),
        ("https://x.io/v2/library", "must be only scheme, host and optional port"),
        ("https://x.io/;rm -rf /", "must be an http or https URL"),
        ('https://x.io"]', "must be an http or https URL"),
    ],
)
def test_bad_remote_is_refused_at_its_key(remote, message):
    found = problems(f"cluster: {{name: dev, mirrors: [{{remote: '{remote}'}}]}}")
    assert list(found) == ["cluster.mirrors[0].remote"]
    assert message in found["cluster.mirrors[0].remote"]


def test_hostile_host_and_name_are_refused():
    found = problems("cluster: {name: dev, mirrors: [{remote: 'https://x.io', host: '../../etc', name: 'a;b'}]}")
    assert set(found) == {"cluster.mirrors[0].host", "cluster.mirrors[0].name"}


def test_a_bad_host_is_the_only_problem_even_though_the_name_derives_from_it():
    found = problems("cluster: {name: dev, mirrors: [{remote: 'https://x.io', host: 'a b'}]}")
    assert list(found) == ["cluster.mirrors[0].host"]


def test_a_null_host_is_refused_at_its_key_instead_of_meaning_the_default():
    found = problems("cluster: {name: dev, mirrors: [{remote: 'https://x.io', host: null}]}")
    assert list(found) == ["cluster.mirrors[0].host"]
    assert "string" in found["cluster.mirrors[0].host"]


def test_clashes_with_the_registry_and_between_mirrors_name_both_keys():
    found = problems(
        "cluster: {name: dev, registry: {enabled: true, name: hub}, mirrors: ["
        "{remote: 'https://registry-1.docker.io', name: hub},"
        "{remote: 'https://mirror.gcr.io', host: docker.io, hostPort: 5001},"
        "{remote: 'https://ghcr.io', name: kindplane-mirror-docker-io}]}"
    )
    assert found == {
        "cluster.mirrors[0].name": "'hub' is already used by cluster.registry.name; give this mirror another name",
        "cluster.mirrors[1].host": "'docker.io' is already served by cluster.mirrors[0]; one host has one mirror",
        "cluster.mirrors[1].hostPort": "5001 is already used by cluster.registry.port; pick another port",
        "cluster.mirrors[2].name": "'kindplane-mirror-docker-io' is already used by cluster.mirrors[1].name; give this mirror another name",
    }


def test_credentials_need_both_variable_names_and_only_names():
    assert problems("cluster: {name: dev, mirrors: [{remote: 'https://x.io', usernameEnv: U}]}") == {
        "cluster.mirrors[0].passwordEnv": "is required when the other credentials variable is set (registry:2 needs both)"
    }
    found = problems(
        "cluster: {name: dev, mirrors: [{remote: 'https://x.io', usernameEnv: U, passwordEnv: 'hunter 2'}]}"
    )
    assert "never put the secret itself here" in found["cluster.mirrors[0].passwordEnv"]


def test_unset_credentials_variable_names_the_key_and_the_variable():
    cluster = parse_config(TWO).cluster
    with pytest.raises(ConfigError) as caught:
        mirror_credentials(cluster, {"CORP_USER": "robot"}, "k.yaml")
    assert str(caught.value) == (
        "k.yaml: cluster.mirrors[1].passwordEnv: environment variable CORP_TOKEN is not set (or empty); "
        "export it before `kindplane up`"
    )
    assert mirror_credentials(cluster, CREDS, "k.yaml") == {"corp-cache": ("robot", "s3cr3t-token")}


# --- renderings ------------------------------------------------------------------------------


def test_hosts_toml_sends_pulls_to_the_mirror_and_falls_back_to_the_remote():
    mirror = parse_config(HUB).cluster.mirrors[0]
    assert mirror_hosts_dir(mirror) == "/etc/containerd/certs.d/docker.io"
    assert tomllib.loads(mirror_hosts_toml(mirror)) == {
        "server": "https://registry-1.docker.io",
        "host": {"http://kindplane-mirror-docker-io:5000": {"capabilities": ["pull", "resolve"]}},
    }


def test_kind_config_enables_hosts_toml_for_mirrors_without_the_registry():
    doc = yaml.safe_load(kind_config_yaml(parse_config(HUB).cluster))
    assert doc["containerdConfigPatches"] == [
        '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
    ]


# --- the program under mocks -----------------------------------------------------------------


def run(text, lookup=lambda c, o: {}, environ=CREDS):
    config = parse_config(text)
    return config, run_program(lambda: build(config, lookup, environ=environ))


def mirror_container(result, name):
    return next(r for r in result.of_type(CONTAINER) if r.inputs["name"] == name)


def test_a_persistent_mirror_is_a_retained_proxy_on_the_kind_network_without_host_port():
    config, result = run(HUB)
    container = mirror_container(result, "kindplane-mirror-docker-io")
    assert container.inputs["envs"] == ["REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io"]
    assert container.inputs["networkMode"] == "kind"
    assert container.inputs.get("ports", []) == []
    assert container.inputs["restart"] == "always"
    assert {(item["label"], item["value"]) for item in container.inputs["labels"]} == set(
        mirror_labels(config.cluster.mirrors[0], MOCK_OWNER).items()
    )
    assert container.opts.retain_on_delete is True
    assert container.depends_on_names() == ["kindplane-cluster-kind"]  # the kind network exists by then
    volume = result.one(VOLUME)
    assert volume.inputs["name"] == "kindplane-mirror-docker-io-data" and volume.opts.retain_on_delete
    assert container.inputs["volumes"] == [
        {"volumeName": "kindplane-mirror-docker-io-data", "containerPath": "/var/lib/registry"}
    ]
    assert result.outputs["mirrors"] == {"docker.io": "kindplane-mirror-docker-io:5000"}
    assert "mirrors" not in result.secret_outputs


def test_every_containerd_node_gets_each_mirrors_hosts_toml_and_the_balancer_none():
    config, result = run(TWO)
    writes = {r.name: r for r in result.of_type(COMMAND) if r.name.startswith("mirror-hosts-")}
    nodes = ["dev-control-plane", "dev-control-plane2", "dev-control-plane3", "dev-worker"]
    for mirror in config.cluster.mirrors:
        for node in nodes:
            cmd = writes.pop(mirror_hosts_resource(mirror, node))
            directory = mirror_hosts_dir(mirror)
            assert cmd.inputs["create"] == (
                f"docker exec -i {node} sh -c 'set -e; mkdir -p {directory}; cat > {directory}/hosts.toml'"
            )
            assert cmd.inputs["delete"] == f"docker exec {node} sh -c 'rm -rf {directory}' 2>/dev/null || true"
            assert cmd.inputs["stdin"] == mirror_hosts_toml(mirror)
            assert cmd.depends_on_names() == ["kindplane-cluster-kind", f"kindplane-mirror-{mirror.name}-container"]
    assert writes == {}


def test_credentials_reach_the_container_only_as_a_secret():
    _, result = run(TWO)
    container = mirror_container(result, "corp-cache")
    assert container.inputs["envs"] == {
        rpc._special_sig_key: rpc._special_secret_sig,
        "value": [
            "REGISTRY_PROXY_REMOTEURL=http://cache.corp:5000",
            "REGISTRY_PROXY_USERNAME=robot",
            "REGISTRY_PROXY_PASSWORD=s3cr3t-token",
        ],
    }
    assert container.opts.additional_secret_outputs == ["envs"]
    assert container.inputs["ports"] == [{"internal": 5000, "external": 5100, "ip": "127.0.0.1"}]
    assert container.opts.retain_on_delete is False


def test_missing_credentials_variable_stops_the_program_before_any_resource():
    config = parse_config(TWO)
    registered = {}

    def program():
        try:
            build(config, lambda c, o: {}, environ={})
        except ConfigError as exc:
            registered["error"] = str(exc)

    result = run_program(program)
    assert "cluster.mirrors[1].usernameEnv: environment variable CORP_USER is not set" in registered["error"]
    assert result.resources == {}


# --- what `kindplane up` prints --------------------------------------------------------------


def test_up_summary_lists_each_mirror_after_the_nodes():
    from kindplane.cli.summary import summary_lines

    lines = summary_lines(parse_config(TWO), {})
    assert lines[2:4] == [
        "Mirror    docker.io pulls via kindplane-mirror-docker-io:5000 (cache of https://registry-1.docker.io; "
        "persistent: cache kept on `kindplane down`)",
        "Mirror    registry.corp pulls via corp-cache:5000 (cache of http://cache.corp:5000, also on 127.0.0.1:5100; "
        "cache removed on `kindplane down`)",
    ]
    assert lines[4].startswith("Registry  localhost:5001")


def test_what_down_says_of_the_registry_never_describes_a_mirror():
    from kindplane.cli.state import RegistryFate, registry_fate_of

    mirror = "urn:pulumi:dev::kindplane::kindplane:index:Environment$kindplane:index:PullThroughMirror$"
    registry = "urn:pulumi:dev::kindplane::kindplane:index:Environment$kindplane:index:LocalRegistry$"
    resources = [
        {
            "urn": mirror + CONTAINER + "::m",
            "type": CONTAINER,
            "retainOnDelete": True,
            "outputs": {"name": "kindplane-mirror-docker-io"},
        },
        {
            "urn": mirror + VOLUME + "::v",
            "type": VOLUME,
            "retainOnDelete": True,
            "outputs": {"name": "kindplane-mirror-docker-io-data"},
        },
    ]
    assert registry_fate_of(resources) is None  # mirrors only: no registry to describe
    resources.append({"urn": registry + CONTAINER + "::r", "type": CONTAINER, "outputs": {"name": "kind-registry"}})
    assert registry_fate_of(resources) == RegistryFate("kind-registry", False, None)


def test_a_mirror_that_names_credentials_is_never_built_without_them():
    config = parse_config(TWO)
    caught = {}

    def program():
        from kindplane.core.components import Environment

        try:
            Environment("own", config, "me/dev")  # an own program that forgot mirror_credentials
        except ValueError as exc:
            caught["error"] = str(exc)

    run_program(program)
    assert caught["error"].startswith("mirror 'corp-cache' names usernameEnv/passwordEnv: pass credentials=")


def test_a_non_persistent_mirror_caches_in_its_named_volume_which_down_deletes():
    _, result = run(TWO)
    container = mirror_container(result, "corp-cache")
    volume = next(r for r in result.of_type(VOLUME) if r.inputs["name"] == "corp-cache-data")
    assert container.inputs["volumes"] == [{"volumeName": "corp-cache-data", "containerPath": "/var/lib/registry"}]
    assert volume.opts.retain_on_delete is False and volume.opts.ignore_changes == ["labels"]
    assert container.opts.ignore_changes is None and container.opts.import_ is None


# --- distribution version, ttl, offline wait -------------------------------------------------

V3_TTL = (
    "cluster: {name: dev, mirrors: [{remote: 'https://registry-1.docker.io', image: 'registry:3', "
    "ttl: 36h, maxSize: 10GB}]}"
)


def test_a_mirror_runs_its_own_image_with_ttl_and_a_short_dns_wait():
    config, result = run(V3_TTL)
    container = mirror_container(result, "kindplane-mirror-docker-io")
    image = next(r for r in result.of_type(IMAGE) if r.name.startswith("kindplane-mirror-"))
    assert image.inputs["name"] == "registry:3"
    assert container.inputs["envs"] == [
        "REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io",
        "REGISTRY_PROXY_TTL=129600s",
    ]
    assert container.inputs["dnsOpts"] == ["timeout:1", "attempts:1"]
    # the loop that serves the cache alone while the upstream does not answer (tested in Docker)
    assert container.inputs["entrypoints"] == ["/bin/sh", "-c", MIRROR_SUPERVISOR, "kindplane-mirror"]
    # a kept mirror made before these existed is recreated on its cache volume: nothing is ignored
    assert container.opts.ignore_changes is None
    assert config.cluster.mirrors[0].max_size_bytes == 10**10
    _, default = run(HUB)
    assert mirror_container(default, "kindplane-mirror-docker-io").inputs["envs"] == [
        "REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io"
    ]
    assert (
        next(r for r in default.of_type(IMAGE) if r.name.startswith("kindplane-mirror-")).inputs["name"] == "registry:2"
    )


def test_mirror_ttl_and_max_size_are_checked_at_their_keys():
    found = problems(
        "cluster: {name: dev, mirrors: [{remote: 'https://ghcr.io', ttl: 7, maxSize: lots, image: 'Bad Image'}]}"
    )
    assert found["cluster.mirrors[0].ttl"] == "must be a duration with a unit such as 36h or 7d (or 0), got 7"
    assert found["cluster.mirrors[0].maxSize"] == "must be a size such as 500MB, 10GB or 8GiB, got 'lots'"
    assert "cluster.mirrors[0].image" in found
    assert (
        parse_config("cluster: {name: dev, mirrors: [{remote: 'https://ghcr.io', ttl: 0}]}")
        .cluster.mirrors[0]
        .ttl_seconds
        == 0
    )
