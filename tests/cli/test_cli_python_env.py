"""A kindplane without pip (and none bundled) is refused before the engine starts, with the fix."""

from __future__ import annotations

from kindplane.ops import python_env


def test_up_and_preview_refuse_an_interpreter_that_cannot_give_the_language_host_pip(
    cli, engine, tools, write_config, monkeypatch
):
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)
    monkeypatch.setattr(python_env, "has_pip", lambda: False)
    monkeypatch.setattr(python_env, "bundled_pip_wheel", lambda: None)
    path = write_config("cluster: {name: pipless}\n")
    for command in ("up", "preview"):
        result = cli(["-c", str(path), command])
        assert result.exit_code == 1
        assert result.stderr.startswith("error: kindplane runs under ")
        assert "install pip there with `" in result.stderr
    assert engine.targets == []


def test_another_interpreter_named_by_the_user_is_theirs_to_equip(monkeypatch):
    monkeypatch.setenv("PULUMI_PYTHON_CMD", "/usr/bin/python3")
    monkeypatch.setattr(python_env, "has_pip", lambda: False)
    monkeypatch.setattr(python_env, "bundled_pip_wheel", lambda: None)
    from kindplane.ops import preflight

    assert preflight.python_problem() is None
