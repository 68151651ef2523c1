"""What the verified no-op refuses to vouch for: each sends `kindplane up` to the engine before any
look-up (the engine walks in tests/engine/test_engine_cli_calls.py and test_engine_drift.py run it)."""

from __future__ import annotations

import pytest

from kindplane.cli.verified_noop import nothing_to_do, unverifiable
from kindplane.core.config import parse_config
from kindplane.core.contract import OUTPUT_PROGRAM
from kindplane.core.program_identity import program_identity

BASE = "cluster: {name: dev, registry: {enabled: true}}"


@pytest.mark.parametrize(
    "text, reason",
    [
        (BASE, None),
        ("cluster: {name: dev, registry: {enabled: true, tls: true}}", "certificate"),
        ("cluster: {name: dev, registry: {enabled: true, auth: {username: u, passwordEnv: P}}}", "password"),
        ("cluster: {name: dev, registry: {enabled: true, external: true}}", "live port"),
        ("cluster: {name: dev, mirrors: [{remote: 'https://ghcr.io', usernameEnv: U, passwordEnv: P}]}", "mirror"),
        ("cluster: {name: dev, registries: [{host: docker.io, skipVerify: true}]}", "registries"),
    ],
)
def test_what_the_read_back_cannot_check_is_named(text, reason):
    found = unverifiable(parse_config(text).cluster)
    assert (found is None) if reason is None else (reason in found)


class StateOnly:
    """An engine whose state was made by other code: nothing else may be asked."""

    def __init__(self, identity: str):
        self.identity = identity

    def recorded_outputs(self):
        return {OUTPUT_PROGRAM: self.identity}

    def __getattr__(self, name):
        raise AssertionError(f"asked {name} after the identity differed")


def test_a_state_another_kindplane_made_goes_to_the_engine_without_other_look_ups():
    cluster = parse_config(BASE).cluster
    assert nothing_to_do(StateOnly("another kindplane"), cluster, client=None) is None


def test_the_program_identity_changes_with_the_code_and_only_with_it(tmp_path, monkeypatch):
    from kindplane.core import program_identity as module

    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "a.py").write_text("X = 1\n")
    (tmp_path / "core" / "a.pyc").write_bytes(b"compiled")
    monkeypatch.setattr(module, "PACKAGE", tmp_path)

    def identity() -> str:
        module.program_identity.cache_clear()
        return program_identity()

    first = identity()
    (tmp_path / "core" / "a.pyc").write_bytes(b"compiled again")  # not code: no change
    assert identity() == first
    (tmp_path / "core" / "a.py").write_text("X = 2\n")
    assert identity() != first
    module.program_identity.cache_clear()
