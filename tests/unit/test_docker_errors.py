"""Docker's errors as one line each (kindplane.ops.docker_errors), and who holds a port."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import docker
import requests

from kindplane.ops.docker_errors import explain
from kindplane.ops.port_holder import port_holder

ME = f"{Path('/proc/self/comm').read_text().strip()} (pid {os.getpid()})"


def api_error(explanation: str) -> docker.errors.APIError:
    return docker.errors.APIError(
        "500 Server Error for http+docker://localhost/v1.41/containers/x/start", explanation=explanation
    )


def test_a_taken_port_names_the_port_who_holds_it_and_the_key_to_change():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        raw = (
            "driver failed programming external connectivity on endpoint kpe-reg (0123abc): Error starting "
            f"userland proxy: listen tcp4 127.0.0.1:{port}: bind: address already in use"
        )
        line = explain(
            api_error(raw), "the registry container kpe-reg is stopped and cannot start", "cluster.registry.port"
        )
    assert line == (
        f"the registry container kpe-reg is stopped and cannot start: port {port} is already in use by {ME}; "
        "stop it, or set cluster.registry.port to a free port in kindplane.yaml"
    )
    assert "500 Server Error" not in line and "\n" not in line


def test_a_port_nothing_listens_on_any_more_is_held_by_another_program():
    raw = "Bind for 127.0.0.1:1 failed: port is already allocated"
    assert (
        explain(api_error(raw), "x cannot start")
        == "x cannot start: port 1 is already in use by another program; stop it, or choose another port"
    )


def test_a_missing_image_and_a_gone_daemon_each_say_their_fix():
    assert explain(api_error("No such image: registry:9"), "the mirror container m cannot start") == (
        "the mirror container m cannot start: its image is missing (No such image: registry:9); `docker pull` it "
        "(or load it) and run up again"
    )
    gone = requests.exceptions.ConnectionError(
        "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"
    )
    assert explain(gone, "w").startswith("w: the Docker daemon stopped answering (")
    assert explain(gone, "w").endswith("); start it and run up again")


def test_other_errors_keep_dockers_last_clause_only():
    raw = "Cannot start container abc: OCI runtime create failed: container_linux.go:380: starting container process caused: exec: no such file"
    assert explain(api_error(raw), "x") == "x: exec: no such file"


def test_port_holder_names_the_listening_process_and_nothing_for_a_free_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert port_holder(port) == ME
    assert port_holder(port) is None
