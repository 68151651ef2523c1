"""The stack's outputs read from the checkpoint, secrets opened with the empty passphrase's key,
against checkpoints and a `stack output` the real Pulumi CLI wrote (data/pulumi_checkpoints)."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from pathlib import Path

import pytest

from kindplane.cli import state_secrets
from kindplane.cli.engine import PulumiEngine
from kindplane.cli.workspace import StackTarget

DATA = Path(__file__).parent / "data" / "pulumi_checkpoints"


def deployment(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())["checkpoint"]["latest"]


STACK_OUTPUT = json.loads((DATA / "stack_output.json").read_text())


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KINDPLANE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def key_files(home: Path) -> list[Path]:
    folder = home / "cache" / "empty-passphrase-keys"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_outputs_read_from_the_checkpoint_are_what_stack_output_prints(home, monkeypatch):
    # nested secrets too: a secret inside a plain object, a secret object, a multi-line string
    assert state_secrets.stack_outputs(deployment("empty_passphrase")) == STACK_OUTPUT
    (kept,) = key_files(home)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert "s3cret" not in kept.read_text() and "apiVersion" not in kept.read_text()  # the key, no plain text

    def no_derivation(*_args):
        raise AssertionError("the key was derived again")

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", no_derivation)
    assert state_secrets.stack_outputs(deployment("empty_passphrase")) == STACK_OUTPUT  # the remembered key


def test_a_damaged_remembered_key_is_derived_again(home):
    state_secrets.stack_outputs(deployment("empty_passphrase"))
    (kept,) = key_files(home)
    kept.write_text("00" * 32)
    assert state_secrets.stack_outputs(deployment("empty_passphrase")) == STACK_OUTPUT
    assert kept.read_text() != "00" * 32


def test_a_stack_under_a_passphrase_of_the_users_is_left_to_the_cli(home):
    assert state_secrets.stack_outputs(deployment("own_passphrase")) is None
    assert key_files(home) == []  # nothing remembered for a key that opens nothing


def test_what_only_the_cli_renders_is_left_to_it(home):
    other_provider = deployment("empty_passphrase")
    other_provider["secrets_providers"] = {"type": "cloud", "state": {"url": "awskms://k"}}
    assert state_secrets.stack_outputs(other_provider) is None

    asset = deployment("empty_passphrase")
    root = next(r for r in asset["resources"] if r["type"] == "pulumi:pulumi:Stack")
    root["outputs"]["file"] = {state_secrets.SPECIAL_SIG: "c44067f5952c0a294b673a41bacd8c17", "path": "a.txt"}
    assert state_secrets.stack_outputs(asset) is None

    tampered = deployment("empty_passphrase")
    root = next(r for r in tampered["resources"] if r["type"] == "pulumi:pulumi:Stack")
    sealed = root["outputs"]["kubeconfig"]["ciphertext"]
    root["outputs"]["kubeconfig"]["ciphertext"] = sealed[:-6] + (
        "AAAA==" if not sealed.endswith("AAAA==") else "BBBB=="
    )
    assert state_secrets.stack_outputs(tampered) is None


def test_plain_outputs_need_no_key_and_a_stack_never_updated_has_none(home):
    plain = deployment("empty_passphrase")
    root = next(r for r in plain["resources"] if r["type"] == "pulumi:pulumi:Stack")
    root["outputs"] = {"plain": "x", "port": 5001}
    plain["secrets_providers"] = None
    assert state_secrets.stack_outputs(plain) == {"plain": "x", "port": 5001}
    assert state_secrets.stack_outputs({}) == {}
    # `pulumi stack export --show-secrets` (a backend that is not a file) holds them opened
    secret = {state_secrets.SPECIAL_SIG: state_secrets.SECRET_SIG, "plaintext": '{"password": "s3cret"}'}
    root["outputs"] = {"registry": {"port": 5001, "auth": secret}}
    assert state_secrets.stack_outputs(plain) == {"registry": {"port": 5001, "auth": {"password": "s3cret"}}}
    assert key_files(home) == []


def engine_for(tmp_path: Path, backend: Path) -> PulumiEngine:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    return PulumiEngine(
        StackTarget(
            stack="dev",
            project_dir=project,
            config_file=str(project / "kindplane.yaml"),
            config_path=project / "kindplane.yaml",
            backend=f"file://{backend}",
            own_project=True,
        )
    )


def test_the_engine_reads_outputs_without_the_cli_only_under_the_empty_passphrase(home, tmp_path, monkeypatch):
    backend = tmp_path / "state"
    (backend / ".pulumi" / "stacks" / "kindplane").mkdir(parents=True)
    (backend / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    shutil.copy(DATA / "empty_passphrase.json", backend / ".pulumi" / "stacks" / "kindplane" / "dev.json")
    for variable in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(variable, raising=False)

    def no_cli(*_args):
        raise AssertionError("the Pulumi CLI was started")

    monkeypatch.setattr(PulumiEngine, "_command", no_cli)
    assert engine_for(tmp_path, backend).outputs() == STACK_OUTPUT
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")  # the empty one, as the Pulumi door's docs export it
    assert engine_for(tmp_path, backend).outputs() == STACK_OUTPUT

    for variable, value in (("PULUMI_CONFIG_PASSPHRASE", "hunter2"), ("PULUMI_CONFIG_PASSPHRASE_FILE", "/k")):
        with monkeypatch.context() as scoped:
            scoped.setenv(variable, value)
            with pytest.raises(AssertionError, match="the Pulumi CLI was started"):
                engine_for(tmp_path, backend).outputs()
