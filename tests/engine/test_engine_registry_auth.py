"""registry.auth under the real engine, through `kindplane up` as users run it, on stand-in nodes:
the registry asks every push and pull for the password, every node pulls with it (`ctr content
fetch --hosts-dir`, as containerd's CRI reads hosts.toml), and a new password takes one `up`."""

from __future__ import annotations

import os

import httpx
from harness.cluster import StandinCluster
from harness.docker_env import docker, run
from harness.engine import container_id
from harness.registry import remove_container, remove_volume


def test_registry_auth_push_and_pull_everywhere_a_new_password_in_one_up_and_a_lost_file_back(
    new_project, app_image, tmp_path
):
    """Without the password exported, `up` stops (exit 2) naming the key and creates nothing; with
    it the registry answers 401 to anyone without it, `docker login` + push works, `kindplane
    registry ls` logs in, and both names of the image fetch on every node; preview sees no change
    (the htpasswd line is kept, not made again). A new password in the environment: one `up`, the
    old password is refused, the nodes pull with the new one, the image is still there. A node's
    hosts.toml removed by hand is written again, header included."""
    project = new_project(persistent=True)
    project.write_config(
        f"cluster:\n  name: {project.cluster}\n  nodes: {{controlPlane: 1, workers: 1}}\n  registry:\n"
        f"    enabled: true\n    name: {project.registry}\n    port: {project.port}\n    persistent: true\n"
        "    auth: {username: dev, passwordEnv: KPE_REGISTRY_PASSWORD}\n"
    )

    def kp(*args: str, password: str = "first pass", check: bool = True):
        return project.kindplane("-c", str(project.config_path), *args, check=check, KPE_REGISTRY_PASSWORD=password)

    url = f"http://127.0.0.1:{project.port}/v2/"
    refs = [f"localhost:{project.port}/kpe/app:v1", f"{project.registry}:5000/kpe/app:v1"]
    try:
        unset = project.kindplane("-c", str(project.config_path), "up", check=False)
        assert unset.returncode == 2, unset.stdout + unset.stderr
        assert "cluster.registry.auth.passwordEnv: environment variable KPE_REGISTRY_PASSWORD is not set" in (
            unset.stdout + unset.stderr
        )
        assert container_id(project.registry) is None

        kp("up")
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, auth=("dev", "first pass")).status_code == 200
        logged_in = dict(os.environ, DOCKER_CONFIG=str(tmp_path / "docker-config"))
        run(
            ["docker", "login", f"localhost:{project.port}", "-u", "dev", "--password-stdin"],
            input="first pass",
            env=logged_in,
        )
        docker("tag", app_image, refs[0])
        try:
            run(["docker", "push", refs[0]], env=logged_in)
        finally:
            docker("rmi", refs[0], check=False)
        assert "kpe/app" in kp("registry", "ls").stdout
        cluster = StandinCluster(project.cluster)
        nodes = cluster.containerd_nodes()
        assert len(nodes) == 2
        for ref in refs:
            assert {n: cluster.ctr_fetch(n, ref).returncode for n in nodes} == {n: 0 for n in nodes}
        project.pulumi("preview", "--expect-no-changes", KPE_REGISTRY_PASSWORD="first pass")

        kp("up", password="second pass")
        assert httpx.get(url, auth=("dev", "first pass")).status_code == 401
        assert httpx.get(url, auth=("dev", "second pass")).status_code == 200
        for ref in refs:  # same volume: the image pushed before is still there
            assert {n: cluster.ctr_fetch(n, ref).returncode for n in nodes} == {n: 0 for n in nodes}
        project.pulumi("preview", "--expect-no-changes", KPE_REGISTRY_PASSWORD="second pass")

        worker = f"{project.cluster}-worker"
        docker("exec", worker, "rm", "-rf", f"/etc/containerd/certs.d/localhost:{project.port}")
        assert cluster.ctr_fetch(worker, refs[0]).returncode != 0
        kp("up", password="second pass")
        assert cluster.ctr_fetch(worker, refs[0]).returncode == 0
        written = cluster.read_file(worker, f"/etc/containerd/certs.d/localhost:{project.port}/hosts.toml").decode()
        assert 'Authorization = "Basic ' in written
    finally:
        kp("down", "--force", password="second pass", check=False)
        remove_container(project.registry)
        remove_volume(f"{project.registry}-data")
