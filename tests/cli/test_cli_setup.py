"""`kindplane setup`: kind from a (loopback) release server, checked against its .sha256sum."""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import threading
from pathlib import Path

import pytest
from cli_support import write_exe

from kindplane.ops.setup_tools import SetupError, install_kind, kind_asset
from kindplane.ops.tools import KIND_VERSION

FAKE_KIND = f"#!/bin/sh\necho 'kind {KIND_VERSION} go1.24.2 linux/amd64'\n".encode()


class ReleaseServer:
    """Serves /<version>/<asset> and its .sha256sum like GitHub's release downloads."""

    def __init__(self, binary: bytes, checksum: str):
        self.files = {
            f"/{KIND_VERSION}/{kind_asset()}": binary,
            f"/{KIND_VERSION}/{kind_asset()}.sha256sum": f"{checksum}  {kind_asset()}\n".encode(),
        }
        self.requests: list[str] = []
        files, requests = self.files, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def release(request):
    servers = []

    def start(binary: bytes = FAKE_KIND, checksum: str | None = None) -> ReleaseServer:
        server = ReleaseServer(binary, checksum or hashlib.sha256(binary).hexdigest())
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_installs_kind_after_checking_the_published_sha256(release, tmp_path):
    server = release()
    message = install_kind(base_url=server.url, dest_dir=tmp_path / "bin")
    kind = tmp_path / "bin" / "kind"
    assert kind.read_bytes() == FAKE_KIND
    assert os.access(kind, os.X_OK)
    assert subprocess.run([str(kind), "version"], capture_output=True, text=True).stdout.split()[1] == KIND_VERSION
    assert hashlib.sha256(FAKE_KIND).hexdigest() in message
    assert server.requests == [f"/{KIND_VERSION}/{kind_asset()}.sha256sum", f"/{KIND_VERSION}/{kind_asset()}"]
    assert leftovers(tmp_path / "bin") == ["kind"]  # no temporary file left behind


def test_already_installed_is_a_no_op(release, tmp_path):
    server = release()
    install_kind(base_url=server.url, dest_dir=tmp_path / "bin")
    before = list(server.requests)
    message = install_kind(base_url=server.url, dest_dir=tmp_path / "bin")
    assert message.startswith(f"kind {KIND_VERSION} already installed")
    assert server.requests == before  # nothing downloaded again


def test_checksum_mismatch_is_refused_and_nothing_is_left(release, tmp_path):
    server = release(checksum=hashlib.sha256(b"something else").hexdigest())
    with pytest.raises(SetupError, match="checksum mismatch .* refusing to install"):
        install_kind(base_url=server.url, dest_dir=tmp_path / "bin")
    assert leftovers(tmp_path / "bin") == []


def test_mismatch_keeps_an_existing_kind_untouched(release, tmp_path):
    old = write_exe(tmp_path / "bin" / "kind", "#!/bin/sh\necho 'kind v0.1.0'\n")
    server = release(binary=FAKE_KIND + b"tampered", checksum=hashlib.sha256(FAKE_KIND).hexdigest())
    with pytest.raises(SetupError, match="checksum mismatch"):
        install_kind(base_url=server.url, dest_dir=tmp_path / "bin")
    assert old.read_text() == "#!/bin/sh\necho 'kind v0.1.0'\n"
    assert leftovers(tmp_path / "bin") == ["kind"]


def test_a_sha256sum_file_without_a_checksum_is_refused(release, tmp_path):
    server = release(checksum="<html>not found</html>")
    with pytest.raises(SetupError, match="does not hold a SHA-256 checksum"):
        install_kind(base_url=server.url, dest_dir=tmp_path / "bin")
    assert leftovers(tmp_path / "bin") == []


def test_no_network_gives_a_clear_message_and_installs_nothing(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    closed_port = server.server_address[1]
    server.server_close()  # nothing listens there any more
    with pytest.raises(SetupError) as info:
        install_kind(base_url=f"http://127.0.0.1:{closed_port}", dest_dir=tmp_path / "bin")
    assert "could not download kind" in str(info.value)
    assert "nothing was installed" in str(info.value)
    assert f"without one, carry {kind_asset()} and its .sha256sum here and run `kindplane setup --from DIR`" in str(
        info.value
    )
    assert not (tmp_path / "bin").exists()


def test_setup_command_installs_kind_and_keeps_an_existing_pulumi(cli, home, release, monkeypatch, tmp_path):
    server = release()
    monkeypatch.setenv("KINDPLANE_KIND_BASE_URL", server.url)
    write_exe(home / "pulumi" / "bin" / "pulumi", "#!/bin/sh\necho v3.272.0\n")
    result = cli(["setup"])
    assert result.exit_code == 0, result.output
    assert f"installed kind {KIND_VERSION} at {home / 'bin' / 'kind'}" in result.stdout
    assert "Pulumi CLI already installed" in result.stdout
    again = cli(["setup"])
    assert again.exit_code == 0
    assert "already installed" in again.stdout and "installed kind" not in again.stdout.replace("already installed", "")


def test_setup_command_reports_a_mismatch_and_exits_1(cli, home, release, monkeypatch):
    server = release(checksum="0" * 64)
    monkeypatch.setenv("KINDPLANE_KIND_BASE_URL", server.url)
    write_exe(home / "pulumi" / "bin" / "pulumi", "#!/bin/sh\necho v3.272.0\n")
    result = cli(["setup"])
    assert result.exit_code == 1
    assert "checksum mismatch" in result.stderr
    assert not (home / "bin" / "kind").exists()
