"""Pull-through mirror, for real: node → hosts.toml → mirror → upstream, then the cache.

A registry:2 container on the kind network plays docker.io (nothing public is reachable here).
The mirror is started from the program's own Container inputs and the per-node hosts.toml writes
are the program's commands; nodes fetch `docker.io/library/<img>:<tag>`, the name users write.
The tests run in file order: the last one stops the upstream.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from harness.cluster import StandinCluster
from harness.docker_env import docker
from harness.mirrors import MirrorProgram, Upstream, mirror_blobs, mirror_program, run_mirror, start_upstream
from harness.names import unique_name
from harness.registry import remove_container, remove_volume
from harness.shell import run_program_command, run_shell

from kindplane.core.naming import CERTS_DIR
from kindplane.core.render.pull_through import mirror_hosts_dir, mirror_hosts_toml
from kindplane.ops.docker_lookup import answers_inside, docker_client
from kindplane.ops.mirror_doctor import check_mirrors

IMAGE = "docker.io/library/kpt-hello:v1"


@dataclass
class MirrorEnv:
    program: MirrorProgram
    cluster: StandinCluster
    upstream: Upstream
    mirror: str
    upstream_blobs: set

    @property
    def spec(self):
        return self.program.config.cluster.mirrors[0]


@pytest.fixture(scope="module")
def env(registry_image, node_image, kind_network, app_image):
    name, mirror = unique_name("kpt"), unique_name("kpt-mirror")
    upstream = start_upstream(unique_name("kpt-up"))
    program = None
    try:
        program = mirror_program(
            f"cluster:\n  name: {name}\n  nodes: {{controlPlane: 2, workers: 1}}\n  mirrors:\n"
            f"    - {{remote: '{upstream.url}', host: docker.io, name: {mirror}}}\n"
        )
        upstream.push(app_image, "library/kpt-hello:v1")
        env = MirrorEnv(program, StandinCluster(name), upstream, mirror, mirror_blobs(upstream.name))
        created = run_program_command(program.kind, "create")
        assert created.returncode == 0, created.stderr
        run_mirror(program.containers[mirror])
        for key, cmd in program.hosts_toml.items():
            result = run_program_command(cmd)
            assert result.returncode == 0, f"{key}: {result.stderr}"
        yield env
    finally:
        if program is not None:
            run_program_command(program.kind, "delete")
        remove_container(mirror)
        remove_volume(f"{mirror}-data")
        upstream.remove()


def test_the_mirror_is_a_proxy_of_the_upstream_on_the_kind_network_without_host_port(env):
    attrs = docker("inspect", "-f", "{{json .}}", env.mirror).stdout
    import json

    attrs = json.loads(attrs)
    assert f"REGISTRY_PROXY_REMOTEURL={env.upstream.url}" in attrs["Config"]["Env"]
    assert list(attrs["NetworkSettings"]["Networks"]) == ["kind"]
    assert attrs["HostConfig"]["PortBindings"] in (None, {})
    assert [m["Name"] for m in attrs["Mounts"]] == [f"{env.mirror}-data"]


def test_hosts_toml_on_every_containerd_node_and_not_the_load_balancer(env):
    nodes = env.cluster.containerd_nodes()
    assert sorted(node for _, node in env.program.hosts_toml) == nodes and len(nodes) == 3
    for node in nodes:
        assert env.cluster.read_file(node, f"{mirror_hosts_dir(env.spec)}/hosts.toml").decode() == mirror_hosts_toml(
            env.spec
        )
    balancer = f"{env.cluster.name}-external-load-balancer"
    assert env.cluster.exec(balancer, ["find", CERTS_DIR, "-name", "hosts.toml"]).stdout.strip() == ""


def test_every_node_fetches_docker_io_through_the_mirror_which_then_holds_the_blobs(env):
    assert mirror_blobs(env.mirror) == set()
    for node in env.cluster.containerd_nodes():
        fetched = env.cluster.ctr_fetch(node, IMAGE)
        assert fetched.returncode == 0, f"{node}: {fetched.stderr}"
    # manifest, config and layer: everything the upstream has for the image, now cached.
    assert mirror_blobs(env.mirror) == env.upstream_blobs and len(env.upstream_blobs) == 3


def test_without_hosts_toml_the_same_name_goes_to_the_real_docker_io_and_fails(env):
    """Negative control: the fetch above worked because of the mirror's hosts.toml. Docker Hub's
    name is pinned to a closed port on the node (no internet here: its DNS look-up would wait
    ~50 s for time-outs), so the fetch fails at once, naming the host it went to."""
    node = env.cluster.containerd_nodes()[0]
    pin = "127.0.0.1 registry-1.docker.io  # kindplane test pin"
    assert env.cluster.exec(node, ["sh", "-c", f"echo '{pin}' >> /etc/hosts"]).returncode == 0
    try:
        fetched = env.cluster.ctr_fetch(node, IMAGE, hosts_dir=None)
    finally:  # /etc/hosts is Docker's bind mount: rewritten in place, not replaced
        env.cluster.exec(
            node, ["sh", "-c", "grep -v 'kindplane test pin' /etc/hosts > /tmp/hosts; cat /tmp/hosts > /etc/hosts"]
        )
    assert fetched.returncode != 0
    assert "registry-1.docker.io" in fetched.stderr and "connection refused" in fetched.stderr, fetched.stderr
    assert "kindplane test pin" not in env.cluster.read_file(node, "/etc/hosts").decode()


def test_doctor_passes_every_mirror_check(env):
    results = check_mirrors(env.program.config, docker_client())
    assert [r.status for r in results] == ["ok"] * len(results), [r for r in results if not r.ok]
    names = [r.name for r in results]
    assert names[:4] == [
        f"mirror {env.mirror} running (docker.io → {env.upstream.url})",
        f"mirror {env.mirror}: GET /v2/",
        f"mirror {env.mirror} on the 'kind' network",
        f"mirror {env.mirror} reaches {env.upstream.url}",
    ]
    assert len(names) == 4 + 3  # and one hosts.toml check per containerd node


def test_doctor_finds_a_missing_hosts_toml_and_its_fix_restores_it(env):
    node = env.cluster.containerd_nodes()[-1]
    write = env.program.hosts_toml[(env.mirror, node)]
    assert run_program_command(write, "delete").returncode == 0
    broken = {r.name: r for r in check_mirrors(env.program.config, docker_client())}
    result = broken[f"{node}: {mirror_hosts_dir(env.spec)}/hosts.toml"]
    assert (result.status, result.detail) == ("fail", "missing")
    assert run_shell(result.fix).returncode == 0
    assert env.cluster.read_file(node, f"{mirror_hosts_dir(env.spec)}/hosts.toml").decode() == mirror_hosts_toml(
        env.spec
    )


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def test_with_the_upstream_stopped_nodes_still_fetch_from_the_cache_and_doctor_says_so(env):
    env.upstream.stop()
    for node in env.cluster.containerd_nodes():
        # Forget the node's own copy: the content must come over the network again.
        env.cluster.exec(node, ["sh", "-c", "ctr content ls -q | xargs -r ctr content rm"])
        assert env.cluster.exec(node, ["ctr", "content", "ls", "-q"]).stdout.strip() == ""
        fetched = env.cluster.ctr_fetch(node, IMAGE)
        if fetched.returncode != 0:
            # Seen only on a loaded machine: registry:2's proxy closed the connection (EOF) while
            # Docker's DNS timed out on the stopped upstream. A node's kubelet retries a pull; so
            # does this check, once, after the mirror answers again — and says what it saw.
            first = fetched.stderr.strip()[-600:]
            assert wait_until(lambda: answers_inside(docker_client().containers.get(env.mirror)), 60)
            fetched = env.cluster.ctr_fetch(node, IMAGE)
            restarts = docker("inspect", "-f", "{{.RestartCount}}", env.mirror).stdout.strip()
            logs = docker("logs", "--tail", "15", env.mirror, check=False)
            assert fetched.returncode == 0, (
                f"{node}: {fetched.stderr}\nfirst try: {first}\nmirror restarts: {restarts}\n"
                f"mirror log: {(logs.stdout + logs.stderr)[-2000:]}"
            )
    upstream = next(r for r in check_mirrors(env.program.config, docker_client()) if "reaches" in r.name)
    assert upstream.status == "fail"
    assert upstream.fix == f"docker restart {env.mirror}"
    assert "cached images still pull" in upstream.detail
