"""The pure rules behind `registry du` and `registry prune`: storage parsing, usage, retention,
the size cap, and what pods protect. The Docker tests run the same code on real registries."""

from __future__ import annotations

import hashlib
import json

import pytest

from kindplane.core.units import go_duration, parse_duration, parse_size
from kindplane.ops.registry.disk_usage import storage_usage
from kindplane.ops.registry.distribution_version import (
    V2_CONFIG_PATH,
    V3_CONFIG_PATH,
    config_path,
    container_version,
    parse_version,
    version_from_image_config,
)
from kindplane.ops.registry.pod_images import ImageUse, images_of_pods, normalize, protected_for
from kindplane.ops.registry.prune_plan import Retention, plan_prune, removal_paths
from kindplane.ops.registry.storage_scan import StorageError, parse_scan

DAY = 86400.0
NOW = 100 * DAY


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


class Layout:
    """Builds SCAN_SCRIPT output for a fake storage: blobs, manifests, tags, layer links."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.bodies: list[bytes] = []

    def blob(self, name: str, size: int, accessed: float = 0, modified: float = 0) -> str:
        d = digest(name)
        hex_ = d[7:]
        self.lines.append(f"B {size} {int(accessed)} {int(modified)} blobs/sha256/{hex_[:2]}/{hex_}/data".encode())
        return d

    def image(
        self,
        repo: str,
        layers: dict[str, int],
        tags: dict[str, float],
        pushed: float = 0,
        accessed: float = 0,
        name: str = "",
    ) -> str:
        """A manifest of config + layers in `repo`, tagged `tags` (tag → write time)."""
        config = self.blob(f"config-{repo}-{name or ','.join(layers)}", 100, accessed, pushed)
        layer_digests = [self.blob(layer, size, accessed, pushed) for layer, size in layers.items()]
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"digest": config, "size": 100},
                "layers": [{"digest": d, "size": layers[n]} for n, d in zip(layers, layer_digests)],
            }
        ).encode()
        return self._manifest(repo, body, [config, *layer_digests], tags, pushed, accessed)

    def index(self, repo: str, children: list[str], tags: dict[str, float], pushed: float = 0) -> str:
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{"digest": c, "size": 1} for c in children],
            }
        ).encode()
        return self._manifest(repo, body, [], tags, pushed, 0)

    def _manifest(self, repo, body, blobs, tags, pushed, accessed) -> str:
        d = "sha256:" + hashlib.sha256(body).hexdigest()
        hex_ = d[7:]
        self.lines.append(f"B {len(body)} {int(accessed)} {int(pushed)} blobs/sha256/{hex_[:2]}/{hex_}/data".encode())
        self.lines.append(f"L {int(pushed)} repositories/{repo}/_manifests/revisions/sha256/{hex_}/link".encode())
        for b in blobs:
            self.lines.append(f"L {int(pushed)} repositories/{repo}/_layers/sha256/{b[7:]}/link".encode())
        for tag, written in tags.items():
            self.lines.append(f"T {int(written)} repositories/{repo}/_manifests/tags/{tag}/current/link {d}".encode())
        self.bodies.append(f"M {hex_} {len(body)}\n".encode() + body + b"\n")
        return d

    def scan(self):
        return parse_scan(b"\n".join(self.lines) + b"\n" + b"".join(self.bodies), "/var/lib/registry")


# --- versions ------------------------------------------------------------------------------------


def test_versions_are_read_from_the_binary_the_label_or_the_config_path():
    v3 = parse_version("registry github.com/distribution/distribution/v3 v3.0.0\n")
    assert (v3.major, v3.minor, v3.patch, v3.text) == (3, 0, 0, "v3.0.0")
    assert v3.config_path == V3_CONFIG_PATH and v3.proxy_ttl and v3.proxy_fetches_blob_once
    debian = parse_version("/usr/bin/docker-registry github.com/docker/distribution 2.8.2+ds1")
    assert (debian.major, debian.text) == (2, "2.8.2+ds1")
    assert debian.config_path == V2_CONFIG_PATH and not debian.proxy_ttl and not debian.proxy_fetches_blob_once
    assert parse_version("no version here") is None
    # registry:latest says nothing in its tag; its label or CMD does
    assert version_from_image_config({"Labels": {"org.opencontainers.image.version": "3.1.1"}}).major == 3
    assert version_from_image_config({"Cmd": ["/etc/distribution/config.yml"]}).major == 3
    assert version_from_image_config({"Cmd": ["serve", "/etc/docker/registry/config.yml"]}).major == 2
    assert version_from_image_config({"Cmd": ["/my/config.yml"]}) is None


def test_the_binary_wins_over_the_image_config_and_a_failing_binary_falls_back():
    config = {"Cmd": ["/etc/docker/registry/config.yml"]}
    ran = []

    def v3(argv):
        ran.append(argv)
        return 0, "registry github.com/distribution/distribution/v3 v3.1.1\n"

    assert str(container_version(v3, config)) == "v3.1.1" and ran == [["registry", "--version"]]
    assert container_version(lambda argv: (127, "not found"), config).major == 2


def test_gc_config_path_is_the_cmds_else_the_versions_default():
    v3 = parse_version("v3.0.0")
    assert config_path({"Cmd": ["/etc/custom/registry.yaml"]}, v3) == "/etc/custom/registry.yaml"
    assert config_path({"Entrypoint": ["registry"], "Cmd": ["serve"]}, v3) == V3_CONFIG_PATH
    assert config_path({"Cmd": []}, parse_version("2.8.3")) == V2_CONFIG_PATH
    assert config_path({}, None) == V2_CONFIG_PATH


# --- units ---------------------------------------------------------------------------------------


def test_durations_and_sizes():
    assert parse_duration("90m") == 5400 and parse_duration("7d") == 604800 and parse_duration("0") == 0
    assert go_duration(parse_duration("2w")) == "1209600s"
    assert parse_size("10GB") == 10**10 and parse_size("8GiB") == 8 * 2**30 and parse_size("1.5 MB") == 1_500_000
    for bad in ("7", "1y", "-3d", ""):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)
    with pytest.raises(ValueError, match="size"):
        parse_size("ten GB")


# --- storage and du ------------------------------------------------------------------------------


def test_usage_counts_a_shared_layer_once_and_names_what_gc_would_free():
    layout = Layout()
    layout.image("app", {"base": 30_000, "app-v1": 5_000}, {"v1": 1})
    layout.image("team/api", {"base": 30_000, "api": 7_000}, {"latest": 1})
    layout.blob("orphan", 1_234)  # a deleted manifest's layer: gc frees it
    usage = storage_usage(layout.scan())
    app, api = usage.repositories
    assert (app.name, app.tags, app.manifests) == ("app", 1, 1)
    assert app.shared == api.shared == 30_000
    assert app.unique == app.size - 30_000 and app.unique > 5_000  # layer + config + manifest
    assert usage.referenced == app.size + api.size - 30_000
    assert usage.unreferenced == 1_234
    assert usage.total == usage.referenced + 1_234


def test_an_empty_storage_has_no_repositories():
    usage = storage_usage(parse_scan(b"", "/var/lib/registry"))
    assert usage.repositories == () and usage.total == usage.referenced == 0


def test_removal_paths_stay_inside_the_storage_and_odd_names_are_refused():
    layout = Layout()
    layout.image("app", {"a": 10}, {"old": 1 * DAY, "new": 2 * DAY}, name="1")
    storage = layout.scan()
    plan = plan_prune(storage, Retention(keep_last=1), NOW)
    assert removal_paths(storage, plan) == ["/var/lib/registry/docker/registry/v2/repositories/app/_manifests/tags/old"]
    with pytest.raises(StorageError):
        storage.tag_path("../etc", "x")
    with pytest.raises(StorageError):
        storage.tag_path("app", "a b")


# --- prune ---------------------------------------------------------------------------------------


def _three_versions(layout: Layout) -> dict[str, str]:
    return {
        "v1": layout.image("app", {"base": 30_000, "l1": 5_000}, {"v1": NOW - 30 * DAY}, pushed=NOW - 30 * DAY),
        "v2": layout.image("app", {"base": 30_000, "l2": 5_000}, {"v2": NOW - 10 * DAY}, pushed=NOW - 10 * DAY),
        "v3": layout.image("app", {"base": 30_000, "l3": 5_000}, {"v3": NOW - 1 * DAY}, pushed=NOW - 1 * DAY),
    }


def test_keep_newest_n_removes_the_older_tags_and_their_manifests():
    layout = Layout()
    made = _three_versions(layout)
    storage = layout.scan()
    plan = plan_prune(storage, Retention(keep_last=1), NOW)
    assert [(r.tags, r.digest, r.manifest) for r in plan.removals] == sorted(
        [(("v1",), made["v1"], True), (("v2",), made["v2"], True)], key=lambda r: r[1]
    )
    # the shared base stays (v3 needs it): two 5 kB layers, two configs and two manifests go
    assert 10_000 < plan.frees < 12_000 and plan.size_after == plan.size_before - plan.frees


def test_keep_younger_than_and_keep_n_together_keep_what_either_keeps():
    layout = Layout()
    _three_versions(layout)
    storage = layout.scan()
    names = lambda plan: sorted(t for r in plan.removals for t in r.tags)  # noqa: E731
    assert names(plan_prune(storage, Retention(keep_younger_than=7 * DAY), NOW)) == ["v1", "v2"]
    assert names(plan_prune(storage, Retention(keep_younger_than=20 * DAY), NOW)) == ["v1"]
    assert names(plan_prune(storage, Retention(keep_last=1, keep_younger_than=20 * DAY), NOW)) == ["v1"]
    assert names(plan_prune(storage, Retention(keep_last=0), NOW)) == ["v1", "v2", "v3"]


def test_a_tag_sharing_its_manifest_with_a_kept_tag_goes_alone():
    layout = Layout()
    shared = layout.image("app", {"a": 10}, {"1.0": NOW - 9 * DAY, "latest": NOW - DAY})
    plan = plan_prune(layout.scan(), Retention(keep_last=1), NOW)
    (removal,) = plan.removals
    assert (removal.tags, removal.digest, removal.manifest) == (("1.0",), shared, False)
    assert plan.frees == 0


def test_untagged_manifests_go_unless_young_and_an_index_keeps_its_platforms():
    layout = Layout()
    old = layout.image("app", {"old": 1_000}, {}, pushed=NOW - 20 * DAY)  # a re-pushed tag's earlier manifest
    amd = layout.image("app", {"amd": 2_000}, {}, pushed=NOW - 20 * DAY, name="amd")
    arm = layout.image("app", {"arm": 2_000}, {}, pushed=NOW - 20 * DAY, name="arm")
    index = layout.index("app", [amd, arm], {"latest": NOW - 20 * DAY}, pushed=NOW - 20 * DAY)
    storage = layout.scan()
    plan = plan_prune(storage, Retention(keep_last=1), NOW)
    assert [(r.digest, r.tags) for r in plan.removals] == [(old, ())]
    assert plan_prune(storage, Retention(keep_younger_than=30 * DAY), NOW).removals == []
    # dropping the index drops its platform manifests with it
    gone = plan_prune(storage, Retention(keep_last=0), NOW)
    by_digest = {r.digest: r for r in gone.removals}
    assert set(by_digest[index].children) == {amd, arm}
    assert gone.size_after == 0


def test_pods_protect_their_tags_and_digests_unless_forced():
    layout = Layout()
    made = _three_versions(layout)
    storage = layout.scan()
    protected = {("app", "v1"): "default/web", ("app", made["v2"]): "jobs/batch"}
    plan = plan_prune(storage, Retention(keep_last=1), NOW, protected)
    assert plan.removals == []
    assert sorted((p.reference, p.pod) for p in plan.protected) == [("v1", "default/web"), ("v2", "jobs/batch")]
    forced = plan_prune(storage, Retention(keep_last=1), NOW, protected, force=True)
    assert sorted(t for r in forced.removals for t in r.tags) == ["v1", "v2"]


def test_the_size_cap_removes_least_recently_used_images_first():
    layout = Layout()
    cold = layout.image(
        "library/nginx", {"n": 40_000}, {"1.25": NOW - 9 * DAY}, pushed=NOW - 9 * DAY, accessed=NOW - 9 * DAY
    )
    warm = layout.image("library/redis", {"r": 40_000}, {"7": NOW - 5 * DAY}, pushed=NOW - 5 * DAY, accessed=NOW - DAY)
    hot = layout.image(
        "library/alpine", {"a": 40_000}, {"3": NOW - 2 * DAY}, pushed=NOW - 2 * DAY, accessed=NOW - 2 * DAY
    )
    storage = layout.scan()
    plan = plan_prune(storage, Retention(max_size=90_000), NOW)
    assert [r.digest for r in plan.removals] == [cold]
    assert plan.size_after <= 90_000
    plan = plan_prune(storage, Retention(max_size=50_000), NOW)
    assert [r.digest for r in plan.removals] == [cold, hot]  # redis was read a day ago
    # a pod's image is skipped; the next least recently used goes instead
    plan = plan_prune(storage, Retention(max_size=90_000), NOW, {("library/nginx", "1.25"): "default/web"})
    assert [r.digest for r in plan.removals] == [hot] and warm not in [r.digest for r in plan.removals]
    assert [(p.repository, p.pod) for p in plan.protected] == [("library/nginx", "default/web")]


# --- what pods use -------------------------------------------------------------------------------


def test_references_normalize_the_way_containerd_resolves_them():
    assert normalize("nginx") == ("docker.io", "library/nginx", "latest", None)
    assert normalize("docker.io/bitnami/redis:7") == ("docker.io", "bitnami/redis", "7", None)
    assert normalize("localhost:5001/app:v1") == ("localhost:5001", "app", "v1", None)
    assert normalize("kind-registry:5000/team/api@sha256:" + "a" * 64) == (
        "kind-registry:5000",
        "team/api",
        None,
        "sha256:" + "a" * 64,
    )
    assert normalize("sha256:" + "b" * 64) is None  # an image ID names no repository


def test_unfinished_pods_count_spec_and_status_images_and_finished_ones_do_not():
    pods = {
        "items": [
            {
                "metadata": {"namespace": "default", "name": "web"},
                "status": {
                    "phase": "Running",
                    "containerStatuses": [{"imageID": "localhost:5001/app@sha256:" + "c" * 64}],
                },
                "spec": {"initContainers": [{"image": "busybox"}], "containers": [{"image": "localhost:5001/app:v1"}]},
            },
            {
                "metadata": {"namespace": "jobs", "name": "pending"},
                "status": {"phase": "Pending"},
                "spec": {"containers": [{"image": "kind-registry:5000/app:v2"}]},
            },
            {
                "metadata": {"namespace": "jobs", "name": "done"},
                "status": {"phase": "Succeeded"},
                "spec": {"containers": [{"image": "localhost:5001/app:v0"}]},
            },
        ]
    }
    uses = images_of_pods(pods)
    assert {str(u) for u in uses} == {
        "docker.io/library/busybox:latest",
        "localhost:5001/app:v1",
        "localhost:5001/app@sha256:" + "c" * 64,
        "kind-registry:5000/app:v2",
    }
    protected = protected_for(uses, ["localhost:5001", "kind-registry:5000"])
    assert protected == {
        ("app", "v1"): "default/web",
        ("app", "sha256:" + "c" * 64): "default/web",
        ("app", "v2"): "jobs/pending",
    }
    assert protected_for(uses, ["docker.io"]) == {("library/busybox", "latest"): "default/web"}
    assert protected_for([ImageUse("a/b", "ghcr.io", "x", "1", None)], ["docker.io"]) == {}


# --- preload lists -------------------------------------------------------------------------------


def test_a_preload_list_normalizes_names_and_names_bad_lines():
    from kindplane.ops.registry.mirror_preload import parse_list

    wanted, problems = parse_list(
        "# warm\nnginx:1.27\n\ndocker.io/library/nginx:1.27  # again\nghcr.io/a/b@sha256:" + "c" * 64 + "\nNot Valid\n"
    )
    assert [(w.host, w.repository, w.reference) for w in wanted] == [
        ("docker.io", "library/nginx", "1.27"),
        ("ghcr.io", "a/b", "sha256:" + "c" * 64),
    ]
    assert [(p.line, p.text) for p in problems] == [(6, "Not Valid")]


def test_preload_from_the_cluster_takes_every_pods_images_finished_or_not():
    from kindplane.ops.registry.mirror_preload import from_pods

    pods = {
        "items": [
            {
                "metadata": {"name": "a"},
                "status": {"phase": "Succeeded"},
                "spec": {"containers": [{"image": "redis:7"}]},
            },
            {
                "metadata": {"name": "b"},
                "status": {"phase": "Running"},
                "spec": {"containers": [{"image": "nginx"}, {"image": "redis:7"}]},
            },
        ]
    }
    assert [(w.repository, w.reference) for w in from_pods(pods)] == [
        ("library/redis", "7"),
        ("library/nginx", "latest"),
    ]
    assert from_pods(None) == []


def test_the_platforms_of_an_untagged_index_go_with_it_whatever_sorts_before_them():
    layout = Layout()
    olds = [layout.image("app", {f"old{i}": 1_000}, {}, pushed=NOW - 20 * DAY, name=f"old{i}") for i in range(12)]
    platforms = [layout.image("app", {p: 2_000}, {}, pushed=NOW - 20 * DAY, name=p) for p in ("amd64", "arm64")]
    index = layout.index("app", platforms, {}, pushed=NOW - 20 * DAY)  # untagged: it goes, and they with it
    # a plain manifest planned before a platform manifest that is planned before its index
    assert any(o < p < index for o in olds for p in platforms)
    plan = plan_prune(layout.scan(), Retention(keep_last=1), NOW)
    assert sorted(r.digest for r in plan.removals) == sorted([*olds, index])
    assert set(next(r for r in plan.removals if r.digest == index).children) == set(platforms)
