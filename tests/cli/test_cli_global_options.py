"""-c/-s/--backend/-v work before or after the command, with the same help, for every command."""

from __future__ import annotations

import re

import pytest
import typer.main

from kindplane.cli.app import app

ROOT = typer.main.get_command(app)
GLOBAL_HELP = {
    "-c, --config": "Path to kindplane.yaml.",
    "-s, --stack": "Pulumi stack name.",
    "--backend": "Pulumi state backend URL.",
    "-v, --verbose": "Show Pulumi's own output too.",
}


def command_paths(group=ROOT, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,)
        if hasattr(command, "commands"):
            yield from command_paths(command, prefix + (name,))


ALL_COMMANDS = list(command_paths())

# Every command that reads the config, with the arguments it needs to get that far.
READS_CONFIG = {
    ("validate",): [],
    ("config", "kind"): [],
    ("up",): [],
    ("down",): ["--force"],
    ("preview",): [],
    ("status",): [],
    ("doctor",): [],
    ("registry", "ls"): [],
    ("registry", "push"): ["app:1"],
    ("registry", "rm"): ["app:1"],
    ("registry", "gc"): [],
    ("registry", "du"): [],
    ("registry", "prune"): ["--keep", "1"],
    ("registry", "export"): ["out.tar"],
    ("registry", "import"): ["in.tar"],
    ("registry", "preload"): ["images.txt"],
}


def test_the_tree_is_what_these_tests_cover():
    leaves = {p for p in ALL_COMMANDS if not hasattr(_command(p), "commands")}
    assert leaves == set(READS_CONFIG) | {("init",), ("setup",), ("ls",)}


def _command(path):
    command = ROOT
    for name in path:
        command = command.commands[name]
    return command


def _help_lines(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=" ".join)
def test_every_command_shows_the_global_options_with_the_roots_help(cli, path):
    result = cli([*path, "--help"])
    assert result.exit_code == 0
    shown = _help_lines(result.stdout)
    for names, help_text in GLOBAL_HELP.items():
        assert names in shown and help_text in shown, f"{' '.join(path)} --help lacks {names}"


@pytest.mark.parametrize("path", sorted(READS_CONFIG), ids=" ".join)
def test_config_after_the_command_is_the_file_read(cli, tools, tmp_path, path):
    folder = tmp_path / "a-folder"  # unreadable as a file for every command (doctor and status run without one)
    folder.mkdir()
    args = READS_CONFIG[path]
    before = cli(["-c", str(folder), *path, *args])
    after = cli([*path, *args, "-c", str(folder)])
    assert after.exit_code == before.exit_code == 2
    assert after.stderr == before.stderr
    assert f"{folder}: is a directory, not a kindplane.yaml" in after.stderr


def test_init_writes_the_config_named_after_the_command(cli, tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert cli(["-c", str(first), "init"]).exit_code == 0
    assert cli(["init", "--registry", "-c", str(second)]).exit_code == 0
    assert first.is_file() and second.is_file()
    assert "enabled: true" in second.read_text() and first.read_text() != second.read_text()


def test_setup_accepts_the_global_options_after_the_command(cli, tools):
    before = cli(["-v", "setup"])
    after = cli(["setup", "-v", "-c", "elsewhere.yaml"])
    assert after.exit_code == before.exit_code == 0
    assert after.stdout == before.stdout
    assert "already installed" in after.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["preview"],
        pytest.param(["down", "--force"], marks=pytest.mark.docker),  # down checks Docker before the engine
    ],
    ids=" ".join,
)
def test_stack_and_backend_after_the_command_reach_the_engine(cli, engine, tools, write_config, command):
    path = write_config("cluster: {name: where-am-i}\n")
    engine.stack_exists = False  # the engine is asked which stack, then nothing else happens
    before = cli(["-c", str(path), "-s", "feature-x", "--backend", "file:///tmp/flag", *command])
    after = cli([*command, "-s", "feature-x", "--backend", "file:///tmp/flag", "-c", str(path)])
    assert after.exit_code == before.exit_code
    assert after.stderr == before.stderr
    assert "feature-x" in after.stderr
    assert [(t.stack, t.backend) for t in engine.targets] == [("feature-x", "file:///tmp/flag")] * 2


def test_a_value_after_the_command_wins_over_one_before(cli, tmp_path, write_config):
    good = write_config("cluster: {name: after-wins}\n")
    result = cli(["-c", str(tmp_path / "before.yaml"), "validate", "-c", str(good)])
    assert result.exit_code == 0
    assert f"{good} is valid: cluster after-wins" in result.stdout


def test_verbose_after_the_command_shows_bookkeeping_steps(cli, engine, tools, write_config):
    from recording_engine import step

    path = write_config("cluster: {name: chatty}\n")
    engine.steps = [step("start", "same", "kindplane")]
    quiet = cli(["-c", str(path), "preview"])
    loud = cli(["preview", "-c", str(path), "-v"])
    assert quiet.exit_code == loud.exit_code == 0, loud.output
    assert "kindplane" not in quiet.stdout.split("\n", 1)[1]
    assert loud.stdout != quiet.stdout


def test_ls_takes_the_project_stack_and_backend_from_either_side(cli, engine, tools, write_config):
    path = write_config("cluster: {name: lister}\n")
    before = cli(["-c", str(path), "--backend", "file:///tmp/flag", "ls"])
    after = cli(["ls", "--backend", "file:///tmp/flag", "-c", str(path)])
    assert after.exit_code == before.exit_code == 0
    assert after.stdout == before.stdout
    assert [(t.config_path, t.backend) for t in engine.targets] == [(path, "file:///tmp/flag")] * 2
