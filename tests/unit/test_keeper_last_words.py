"""What `up` says when a registry or mirror it created does not come up: the registry's own reason,
even when the mirror's supervisor has started it again since (a flake of test_engine_tls: the
panic was 21 lines back and only 20 were read)."""

from __future__ import annotations

import pytest

from kindplane.core.config import parse_config
from kindplane.ops import keeper
from kindplane.ops.docker_lookup import AdoptionError

NAME = "kpt-mirror"
UNTRUSTED = "x509: certificate signed by unknown authority"


def one_start(reason: str) -> list[str]:
    """What one `registry serve` of registry:2 prints when its proxy's upstream fails: five info
    lines, the panic, its goroutine trace; then the supervisor's next start."""
    info = [f'time="t" level=info msg="start line {n}" service=registry' for n in range(5)]
    trace = [f"\tgithub.com/docker/distribution/frame{n}.go:{n} +0x1c0d" for n in range(14)]
    return [*info, f'panic: Get "https://icpt:5000/v2/": {reason}', "", "goroutine 1 [running]:", *trace]


class Logs:
    """A Docker API whose `logs(tail=N)` returns the last N lines, as the daemon does."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def logs(self, name: str, tail: int) -> bytes:
        assert name == NAME
        return "\n".join(self.lines[-tail:]).encode()

    def inspect_container(self, name: str) -> dict:
        return {"State": {"Status": "running", "Running": True}}


class Client:
    def __init__(self, lines: list[str]) -> None:
        self.api = Logs(lines)
        self.containers = self

    def get(self, name: str) -> object:
        return object()


@pytest.fixture
def wanted():
    mirror = parse_config(f"cluster: {{name: d, mirrors: [{{remote: 'https://icpt:5000', name: {NAME}}}]}}")
    return keeper.wanted_mirror(mirror.cluster.mirrors[0], 0, "kindplane/dev")


def test_the_reason_is_found_behind_the_next_starts_first_lines(wanted, monkeypatch):
    monkeypatch.setattr(keeper, "answers_inside", lambda container: False)
    supervisor = "kindplane-mirror: https://icpt:5000 answers: proxy mode"
    lines = [supervisor, *one_start(UNTRUSTED), supervisor, *one_start(UNTRUSTED)[:3]]  # the deadline, here
    with pytest.raises(AdoptionError) as caught:
        keeper.wait_until_serving(wanted, client_factory=lambda: Client(lines), timeout=0.0)()
    message = str(caught.value)
    assert message.startswith(f"the mirror container '{NAME}' does not answer GET /v2/ 0 s after it was created: ")
    assert f'panic: Get "https://icpt:5000/v2/": {UNTRUSTED}' in message
    assert message.endswith(f"see `docker logs {NAME}`")


def test_the_newest_reason_wins_and_without_one_the_last_line_is_said(wanted, monkeypatch):
    monkeypatch.setattr(keeper, "answers_inside", lambda container: False)
    lines = [*one_start("dial tcp: lookup icpt: no such host"), *one_start(UNTRUSTED)]
    with pytest.raises(AdoptionError, match=UNTRUSTED):
        keeper.wait_until_serving(wanted, client_factory=lambda: Client(lines), timeout=0.0)()
    quiet = ['time="t" level=info msg="listening on [::]:5000"', 'time="t" level=info msg="still starting"']
    with pytest.raises(AdoptionError, match='msg="still starting"; see'):
        keeper.wait_until_serving(wanted, client_factory=lambda: Client(quiet), timeout=0.0)()
