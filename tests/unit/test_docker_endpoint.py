"""One Docker endpoint per run, resolved as the docker CLI resolves it (kindplane.ops.docker_endpoint).

The contexts are made by the real docker CLI (`docker context create/use` in a private
DOCKER_CONFIG), and every resolution is compared with what `docker context inspect` itself says.
No daemon is needed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from harness.docker_env import in_ci

from kindplane.ops import docker_daemon, docker_endpoint
from kindplane.ops.docker_endpoint import (
    DEFAULT_HOST,
    DockerEndpoint,
    EndpointError,
    provider_context_problem,
    resolve_endpoint,
)


@pytest.fixture
def docker_cli() -> str:
    found = shutil.which("docker")
    if found is None:
        if in_ci():
            pytest.fail("CI=true but the docker CLI is not installed", pytrace=False)
        pytest.skip("the docker CLI is not installed")
    return found


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The docker CLI found on this PATH, run with a bare PATH (it may live outside it: /usr/local/bin)."""
    docker = shutil.which("docker") or "docker"
    return subprocess.run([docker, *args], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True)


def cli_host(env: dict[str, str]) -> str:
    """The endpoint the docker CLI itself uses in `env`."""
    done = cli(env, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def contexts(docker_cli, tmp_path) -> dict[str, str]:
    """A private docker config with contexts `colima` and `remote`; HOME is elsewhere."""
    config = tmp_path / "docker-config"
    env = {"DOCKER_CONFIG": str(config), "HOME": str(tmp_path / "home")}
    for name, host in (("colima", f"unix://{tmp_path}/colima.sock"), ("remote", "tcp://10.1.2.3:2375")):
        done = cli(env, "context", "create", name, "--docker", f"host={host}")
        assert done.returncode == 0, done.stderr
    return env


def test_without_any_setting_it_is_the_default_socket_like_the_cli(contexts):
    assert resolve_endpoint(contexts) == DockerEndpoint(DEFAULT_HOST, "default socket")
    assert cli_host(contexts) == DEFAULT_HOST


def test_docker_context_use_alone_selects_the_contexts_daemon(contexts, tmp_path):
    assert cli(contexts, "context", "use", "colima").returncode == 0
    endpoint = resolve_endpoint(contexts)
    assert endpoint.host == cli_host(contexts) == f"unix://{tmp_path}/colima.sock"
    assert endpoint.context == "colima"
    assert endpoint.origin == f"docker context colima (current in {tmp_path}/docker-config/config.json)"


def test_docker_context_wins_over_the_current_context_and_docker_host_wins_over_both(contexts, tmp_path):
    assert cli(contexts, "context", "use", "colima").returncode == 0
    by_variable = {**contexts, "DOCKER_CONTEXT": "remote"}
    assert resolve_endpoint(by_variable).host == cli_host(by_variable) == "tcp://10.1.2.3:2375"
    assert resolve_endpoint(by_variable).origin == "docker context remote (DOCKER_CONTEXT)"
    by_host = {**by_variable, "DOCKER_HOST": "unix:///tmp/explicit.sock"}
    assert resolve_endpoint(by_host) == DockerEndpoint("unix:///tmp/explicit.sock", "DOCKER_HOST")
    assert cli_host(by_host) == "unix:///tmp/explicit.sock"
    back = {**contexts, "DOCKER_CONTEXT": "default"}
    assert resolve_endpoint(back).host == cli_host(back) == DEFAULT_HOST


def test_a_context_named_by_docker_context_needs_no_config_json(contexts):
    # `docker context create` in a fresh config writes no config.json: the SDK's ContextAPI
    # would look for the store in the working directory; the CLI (and kindplane) do not.
    assert not (Path(contexts["DOCKER_CONFIG"]) / "config.json").exists()
    env = {**contexts, "DOCKER_CONTEXT": "colima"}
    assert resolve_endpoint(env).host == cli_host(env)


def test_a_missing_context_is_an_error_naming_it_and_the_fix(contexts):
    env = {**contexts, "DOCKER_CONTEXT": "gone"}
    assert cli(env, "context", "inspect").returncode == 1  # the CLI refuses it too
    with pytest.raises(EndpointError) as caught:
        resolve_endpoint(env)
    assert str(caught.value) == (
        f"docker context 'gone' (docker context gone (DOCKER_CONTEXT)) does not exist in "
        f"{contexts['DOCKER_CONFIG']}/contexts; `docker context ls` lists the contexts, "
        f"`docker context use default` goes back to the default"
    )


def test_the_config_folder_is_home_dot_docker_without_docker_config(docker_cli, tmp_path):
    env = {"HOME": str(tmp_path)}
    assert cli(env, "context", "create", "desk", "--docker", "host=unix:///tmp/desk.sock").returncode == 0
    assert cli(env, "context", "use", "desk").returncode == 0
    assert resolve_endpoint(env).host == cli_host(env) == "unix:///tmp/desk.sock"


def test_a_context_with_tls_files_passes_them_to_the_cli_the_provider_and_the_sdk(contexts, tmp_path):
    # The CLI checks that the files are PEM: one self-signed certificate serves as CA and client.
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=kindplane-test",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    shutil.copy(tmp_path / "cert.pem", tmp_path / "ca.pem")
    created = cli(
        contexts,
        "context",
        "create",
        "secure",
        "--docker",
        f"host=tcp://10.9.9.9:2376,ca={tmp_path}/ca.pem,cert={tmp_path}/cert.pem,key={tmp_path}/key.pem",
    )
    assert created.returncode == 0, created.stderr
    endpoint = resolve_endpoint({**contexts, "DOCKER_CONTEXT": "secure"})
    tls_dir = Path(contexts["DOCKER_CONFIG"]) / "contexts" / "tls" / docker_endpoint.context_id("secure") / "docker"
    assert endpoint.cert_dir == str(tls_dir) and endpoint.verify_tls
    assert sorted(p.name for p in tls_dir.iterdir()) == ["ca.pem", "cert.pem", "key.pem"]
    assert endpoint.environment() == {
        "DOCKER_HOST": "tcp://10.9.9.9:2376",
        "DOCKER_CONTEXT": "",
        "DOCKER_CERT_PATH": str(tls_dir),
        "DOCKER_TLS_VERIFY": "1",
    }
    assert endpoint.provider_args() == {"host": "tcp://10.9.9.9:2376", "cert_path": str(tls_dir)}


def test_the_environment_handed_on_empties_docker_context():
    # pulumi-docker lets DOCKER_CONTEXT override the host it is given.
    endpoint = DockerEndpoint("unix:///tmp/ctx.sock", "docker context ctx (current in x)", context="ctx")
    assert endpoint.environment() == {"DOCKER_HOST": "unix:///tmp/ctx.sock", "DOCKER_CONTEXT": ""}
    assert endpoint.provider_args() == {"host": "unix:///tmp/ctx.sock"}


@pytest.mark.parametrize(
    "host, remote",
    [
        ("unix:///var/run/docker.sock", None),
        ("tcp://127.0.0.1:2375", None),
        ("tcp://localhost:2375", None),
        ("tcp://build-box.lan:2376", "build-box.lan"),
        ("ssh://me@10.0.0.7", "10.0.0.7"),
        ("npipe:////./pipe/docker_engine", None),
    ],
)
def test_remote_host_is_the_daemons_machine_when_it_is_not_this_one(host, remote):
    assert DockerEndpoint(host, "DOCKER_HOST").remote_host == remote


def test_provider_context_problem_when_the_provider_would_read_another_store(contexts, tmp_path, monkeypatch):
    account = tmp_path / "account"
    monkeypatch.setattr("kindplane.ops.tools.account_home", lambda: account)
    env = {**contexts, "DOCKER_CONTEXT": "colima"}
    endpoint = resolve_endpoint(env)
    problem = provider_context_problem(endpoint, env)
    assert problem == (
        f"DOCKER_CONTEXT=colima is set: the pulumi-docker provider looks that context up in "
        f"{account}/.docker/contexts and cannot find it, while the docker CLI and kind use {endpoint.describe()}; "
        f"unset DOCKER_CONTEXT and `export DOCKER_HOST={endpoint.host}`, or run `kindplane up`, which hands "
        f"every tool the same daemon"
    )
    # The same store under the account's home: the provider finds the same daemon.
    shutil.copytree(contexts["DOCKER_CONFIG"], account / ".docker")
    assert provider_context_problem(endpoint, env) is None
    assert provider_context_problem(endpoint, contexts) is None  # no DOCKER_CONTEXT: the host given wins
    # The provider knows no "default" context.
    default = {**contexts, "DOCKER_CONTEXT": "default"}
    assert "cannot find it" in provider_context_problem(resolve_endpoint(default), default)


def fake_docker(folder: Path, script: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "docker").write_text("#!/bin/sh\n" + script)
    (folder / "docker").chmod(0o755)
    return {"PATH": f"{folder}:/usr/bin:/bin"}


def test_the_cli_daemon_is_read_with_the_runs_environment(tmp_path):
    # The fake CLI answers with the daemon DOCKER_HOST names, and shows it saw DOCKER_CONTEXT emptied.
    env = fake_docker(tmp_path / "bin", 'echo "id-of-$DOCKER_HOST-ctx[$DOCKER_CONTEXT] /data"\n')
    endpoint = DockerEndpoint("unix:///tmp/ctx.sock", "docker context ctx (current in x)", context="ctx")
    seen = docker_daemon.daemon_seen_by_cli(endpoint, {**env, "DOCKER_CONTEXT": "other"})
    assert seen.daemon_id == "id-of-unix:///tmp/ctx.sock-ctx[] /data"
    assert seen.cli == f"`docker` ({tmp_path}/bin/docker)"


def test_a_docker_cli_that_is_not_dockers_is_reported(tmp_path):
    # podman-docker's `docker` is podman: its `info` has no .ID field.
    env = fake_docker(
        tmp_path / "bin",
        'echo "Error: template: info:1:2: executing \\"info\\" at <.ID>: can\'t evaluate field ID" >&2\nexit 125\n',
    )
    seen = docker_daemon.daemon_seen_by_cli(DockerEndpoint(DEFAULT_HOST, "default socket"), env)
    assert seen.daemon_id == ""
    assert seen.problem.startswith("cannot tell its daemon: `docker info` says 'Error: template: info:1:2:")
    assert seen.problem.endswith("(is it Docker's CLI?)")


def test_no_docker_cli_is_reported_with_where_to_get_it(tmp_path):
    (tmp_path / "empty").mkdir()
    default = DockerEndpoint(DEFAULT_HOST, "default socket")
    seen = docker_daemon.daemon_seen_by_cli(default, {"PATH": str(tmp_path / "empty")})
    assert seen.problem == "is not installed (kind and kindplane's node commands run it)"
    assert seen.fix == "install the docker CLI: https://docs.docker.com/engine/install/"


# --- Podman: kind's nodes and kindplane's registry on one runtime ---------------------------------

DOCKER_VERSION = {"Version": "28.2.2", "Components": [{"Name": "Engine", "Version": "28.2.2"}]}
PODMAN_VERSION = {"Version": "4.3.1", "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]}


def test_with_kind_on_podman_the_endpoint_is_podmans_api_socket(tmp_path, monkeypatch):
    env = {"KIND_EXPERIMENTAL_PROVIDER": "podman", "HOME": str(tmp_path)}
    monkeypatch.setattr(docker_endpoint.os, "getuid", lambda: 1000)
    assert resolve_endpoint({**env, "XDG_RUNTIME_DIR": "/run/user/1000"}) == DockerEndpoint(
        "unix:///run/user/1000/podman/podman.sock", "Podman's API socket, for KIND_EXPERIMENTAL_PROVIDER=podman"
    )
    assert resolve_endpoint({**env, "CONTAINER_HOST": "unix:///tmp/p.sock"}).host == "unix:///tmp/p.sock"
    by_host = resolve_endpoint({**env, "DOCKER_HOST": "unix:///tmp/d.sock"})
    assert by_host == DockerEndpoint("unix:///tmp/d.sock", "DOCKER_HOST")
    monkeypatch.setattr(docker_endpoint.os, "getuid", lambda: 0)
    assert resolve_endpoint(env).host == "unix:///run/podman/podman.sock"


def test_kind_on_another_runtime_than_the_registrys_is_refused_naming_both():
    podman_nodes = {"KIND_EXPERIMENTAL_PROVIDER": "podman"}
    on_docker = DockerEndpoint("unix:///var/run/docker.sock", "DOCKER_HOST")
    on_podman = DockerEndpoint("unix:///run/podman/podman.sock", "DOCKER_HOST")
    assert docker_daemon.runtime_problem(on_podman, PODMAN_VERSION, podman_nodes) is None
    assert docker_daemon.runtime_problem(on_docker, DOCKER_VERSION, {}) is None
    assert docker_daemon.runtime_problem(on_docker, DOCKER_VERSION, podman_nodes) == (
        "kind makes the nodes with Podman (KIND_EXPERIMENTAL_PROVIDER=podman), but kindplane would make the "
        "registry in Docker 28.2.2 at unix:///var/run/docker.sock (DOCKER_HOST), where the nodes cannot reach it; "
        "point kindplane at Podman's Docker-compatible API: "
        "`export DOCKER_HOST=unix://$(podman info --format '{{.Host.RemoteSocket.Path}}')`"
    )
    assert docker_daemon.runtime_problem(on_podman, PODMAN_VERSION, {}) == (
        "kind makes the nodes with Docker (the docker CLI), but kindplane would make the registry in Podman 4.3.1 "
        "at unix:///run/podman/podman.sock (DOCKER_HOST), where the nodes cannot reach it; either let kind use "
        "Podman too (`export KIND_EXPERIMENTAL_PROVIDER=podman`) or point DOCKER_HOST at Docker"
    )


def test_kind_on_a_runtime_without_a_docker_api_is_refused():
    with pytest.raises(EndpointError) as caught:
        resolve_endpoint({"KIND_EXPERIMENTAL_PROVIDER": "nerdctl"})
    assert str(caught.value) == (
        "KIND_EXPERIMENTAL_PROVIDER=nerdctl: kind would make the nodes with nerdctl, but kindplane makes the "
        "registry through the Docker API (Docker or Podman); unset KIND_EXPERIMENTAL_PROVIDER or set it to podman"
    )


def test_a_daemon_on_another_machine_is_refused_with_the_fix():
    remote = DockerEndpoint("ssh://me@build-box", "DOCKER_HOST")
    assert docker_daemon.endpoint_problem(remote, DOCKER_VERSION, {}) == (
        "Docker runs on build-box (ssh://me@build-box (DOCKER_HOST)): the registry would be published on that "
        "machine's loopback, where kindplane's checks and registry commands on this machine cannot reach it (and "
        "the port check here would test the wrong machine); run kindplane on build-box itself (`ssh build-box`, "
        "then `kindplane up` there), or use a Docker daemon on this machine"
    )
    local_tcp = DockerEndpoint("tcp://127.0.0.1:2375", "DOCKER_HOST")
    assert docker_daemon.endpoint_problem(local_tcp, DOCKER_VERSION, {}) is None


def test_a_tcp_daemon_on_an_address_of_this_machine_is_not_remote():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("203.0.113.1", 9))  # no packet is sent: this only picks the outgoing interface
        own = probe.getsockname()[0]
    assert docker_daemon.is_this_machine(own) and docker_daemon.is_this_machine("localhost")
    on_own_address = DockerEndpoint(f"tcp://{own}:2375", "DOCKER_HOST")
    assert docker_daemon.endpoint_problem(on_own_address, DOCKER_VERSION, {}) is None
    assert not docker_daemon.is_this_machine("203.0.113.254")  # TEST-NET-3: documentation only


def test_daemons_are_told_apart_by_id_name_and_data_root_and_podman_by_name_and_storage():
    docker_info = {"ID": "WTQ3:VYBM", "Name": "box", "DockerRootDir": "/var/lib/docker"}
    ours = docker_daemon.daemon_identity(docker_info)
    assert docker_daemon.same_daemon(ours, "WTQ3:VYBM box /var/lib/docker\n")
    # A second dockerd of this machine shares the ID (/etc/docker/key.json), not the data root.
    assert not docker_daemon.same_daemon(ours, "WTQ3:VYBM box /tmp/kpctx-1/data")
    assert not docker_daemon.same_daemon(ours, "OTHER:ID box /var/lib/docker")
    # Podman's compatible API makes up an ID on every request.
    podman_info = {"ID": "4f76c1df", "Name": "box", "DockerRootDir": "/var/lib/containers/storage"}
    ours = docker_daemon.daemon_identity(podman_info, podman=True)
    assert docker_daemon.same_daemon(ours, "df3d62d2 box /var/lib/containers/storage", podman=True)
    assert not docker_daemon.same_daemon(ours, "df3d62d2 box /home/me/.local/share/containers/storage", podman=True)
