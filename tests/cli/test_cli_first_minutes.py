"""What a newcomer meets in the first minutes: --version, --help, a wrong -c, doctor before any file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer.main

import kindplane
from kindplane.cli.app import app
from kindplane.cli.global_options import summary

ROOT = typer.main.get_command(app)


def test_version_prints_the_packages_version_and_nothing_else(cli):
    result = cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"kindplane {kindplane.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", kindplane.__version__)


def test_the_version_has_one_source_pyproject_reads_it_from_the_package():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kindplane.__version__"}


def _groups():
    yield (), ROOT
    for name, command in ROOT.commands.items():
        if hasattr(command, "commands"):
            yield (name,), command


@pytest.mark.parametrize("path, group", list(_groups()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_help_shows_every_commands_whole_summary(cli, path, group):
    result = cli([*path, "--help"])
    assert result.exit_code == 0
    listing = " ".join(result.stdout.split("Commands:", 1)[1].split())
    assert "..." not in listing
    for name, command in group.commands.items():
        first_paragraph = " ".join(command.help.split("\n\n")[0].split())
        assert f"{name} {first_paragraph}" in listing, name
        assert command.short_help == summary(command.help) == first_paragraph


def test_up_is_summed_up_in_full(cli):
    listing = " ".join(cli(["--help"]).stdout.split())
    assert "up Create or converge the cluster and registry (validate, preflight, refresh, up)." in listing


# --- a -c that cannot be read: each reason its own fix (exit 2, nothing else happens) --------


def test_a_missing_file_names_the_init_that_writes_that_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(["-c", "missing.yaml", "validate"])
    assert result.exit_code == 2
    assert result.stderr == "error: missing.yaml: file not found; create it with `kindplane -c missing.yaml init`\n"
    assert cli(["-c", "missing.yaml", "init"]).exit_code == 0  # the command it names writes that very file
    assert (tmp_path / "missing.yaml").is_file() and not (tmp_path / "kindplane.yaml").exists()
    assert cli(["-c", "missing.yaml", "validate"]).exit_code == 0


def test_the_default_file_missing_names_plain_init(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(["validate"])
    assert result.exit_code == 2
    assert result.stderr == "error: kindplane.yaml: file not found; create it with `kindplane init`\n"


def test_a_path_with_spaces_is_quoted_in_the_fix(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(["-c", "my dir/k.yaml", "config", "kind"])
    assert result.exit_code == 2
    assert result.stderr == "error: my dir/k.yaml: file not found; create it with `kindplane -c 'my dir/k.yaml' init`\n"


def test_a_directory_holding_a_kindplane_yaml_points_at_that_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "kindplane.yaml").write_text("cluster: {name: shop}\n")
    result = cli(["-c", "shop", "validate"])
    assert result.exit_code == 2
    assert result.stderr == "error: shop: is a directory; pass the file inside it: `-c shop/kindplane.yaml`\n"
    assert cli(["-c", "shop/kindplane.yaml", "validate"]).exit_code == 0


def test_an_empty_directory_says_how_to_create_its_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "new").mkdir()
    result = cli(["-c", "new", "up"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: new: is a directory, not a kindplane.yaml; create one in it with `kindplane -c new/kindplane.yaml init`\n"
    )


def test_a_file_this_user_cannot_read_says_so_and_how_to_look(cli, tmp_path, monkeypatch):
    path = tmp_path / "kindplane.yaml"
    path.write_text("cluster: {name: x}\n")
    real_read = Path.read_text

    def read_text(self, *args, **kwargs):  # the suite runs as root, whom chmod cannot lock out
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    result = cli(["-c", str(path), "validate"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: permission denied: this user cannot read it; see who can with `ls -l {path}` "
        f"and make it readable (`chmod u+r` when it is yours)\n"
    )


def test_a_file_that_is_not_utf8_says_where_and_what_to_do(cli, tmp_path):
    path = tmp_path / "kindplane.yaml"
    path.write_bytes(b"cluster: {name: caf\xe9}\n")
    result = cli(["-c", str(path), "validate"])
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: is not UTF-8 text (byte 0xe9 at offset 19); save it as UTF-8\n"


# --- doctor and status before there is any kindplane.yaml ---------------------------------------

NO_CONFIG = (
    "- not checked without a kindplane.yaml: the Pulumi state, the registry, the mirrors, every node's "
    "containerd, the ConfigMap (kindplane.yaml not found; create it with `kindplane init`)"
)


@pytest.fixture
def no_docker(tmp_path, monkeypatch) -> str:
    socket = f"unix://{tmp_path}/no-such.sock"
    monkeypatch.setenv("DOCKER_HOST", socket)
    return socket


@pytest.mark.parametrize("command", ["doctor", "status"])
def test_without_a_config_the_tool_checks_run_and_the_rest_is_named(
    cli, home, no_docker, tmp_path, monkeypatch, command
):
    monkeypatch.chdir(tmp_path)
    result = cli([command])
    assert result.exit_code == 1  # kind and Pulumi missing, Docker down: three real failures
    lines = result.stdout.splitlines()
    kind = f"✗ kind installed: not on PATH nor in {home / 'bin'}"
    assert lines[:2] == [kind, "    fix: kindplane setup"]
    assert lines[2:4] == [
        "✗ Pulumi CLI installed: not on PATH nor installed by kindplane setup",
        "    fix: kindplane setup",
    ]
    assert lines[4].startswith(f"✗ Docker daemon reachable: Docker daemon not reachable at {no_docker} (DOCKER_HOST)")
    assert lines[-2:] == [NO_CONFIG, "3 of 3 checks failed"]


def test_without_a_config_passing_tools_pass_and_json_has_no_cluster(cli, tools, no_docker, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(["status", "-o", "json"])
    document = json.loads(result.stdout)
    assert document["cluster"] is None
    checks = {c["name"]: c["status"] for c in document["checks"]}
    assert checks == {
        "kind installed": "ok",
        "Pulumi CLI installed": "ok",
        "Docker daemon reachable": "fail",
        "not checked without a kindplane.yaml": "skip",
    }
    assert result.exit_code == 1


def test_an_invalid_config_is_still_a_usage_error_for_doctor(cli, tools, tmp_path):
    path = tmp_path / "kindplane.yaml"
    path.write_text("cluster: {name: Bad_Name}\n")
    result = cli(["-c", str(path), "doctor"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"error: {path}: cluster.name: " in result.stderr
