"""Which project, stack and backend a kindplane.yaml belongs to (real files, no Pulumi run)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from kindplane.cli.workspace import WorkspaceError, derived_stack_name, resolve, write_own_project

REPO = Path(__file__).resolve().parents[2]
DEFAULT = "file:///home/u/.kindplane/state"


def project(tmp_path: Path, backend: str | None = None, stacks: dict[str, str | None] | None = None) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    settings = {"name": "kindplane", "runtime": "python", "stackConfigDir": "stacks"}
    if backend:
        settings["backend"] = {"url": backend}
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
    (root / "stacks").mkdir()
    for stack, config_file in (stacks or {}).items():
        config = {"config": {"kindplane:configFile": config_file}} if config_file else {"config": {}}
        (root / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(config))
    return root


def config(path: Path, name: str = "dev") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"cluster: {{name: {name}}}\n")
    return path


def test_the_repositorys_stack_files_choose_the_stack_for_their_config_files():
    dev = resolve(REPO / "stacks" / "dev.kindplane.yaml", None, None, Path("/h"), DEFAULT)
    assert (dev.stack, dev.project_dir, dev.config_file) == ("dev", REPO, "stacks/dev.kindplane.yaml")
    ci = resolve(REPO / "stacks" / "ci.kindplane.yaml", None, None, Path("/h"), DEFAULT)
    assert ci.stack == "ci"
    assert not dev.own_project


def test_the_stack_does_not_follow_the_cluster_name(tmp_path):
    root = project(tmp_path)
    path = config(root / "shop.kindplane.yaml", name="first")
    before = resolve(path, None, None, tmp_path, DEFAULT)
    config(path, name="renamed")
    assert resolve(path, None, None, tmp_path, DEFAULT).stack == before.stack == "shop"


@pytest.mark.parametrize(
    ("file", "stack"),
    [
        ("stacks/dev.kindplane.yaml", "dev"),
        ("shop/kindplane.yaml", "shop"),
        ("team env/kindplane.yaml", "team-env"),
        ("e2e.yaml", "e2e"),
    ],
)
def test_stack_names_derived_from_the_file(tmp_path, file, stack):
    assert derived_stack_name(tmp_path / file) == stack


def test_a_stack_file_naming_another_config_is_never_repointed(tmp_path):
    root = project(tmp_path, stacks={"dev": "stacks/dev.kindplane.yaml"})
    config(root / "stacks" / "dev.kindplane.yaml")
    other = config(root / "other.kindplane.yaml")
    with pytest.raises(WorkspaceError) as caught:
        resolve(other, "dev", None, tmp_path, DEFAULT)
    assert str(caught.value) == (
        f"stack dev is configured for {root / 'stacks' / 'dev.kindplane.yaml'} "
        f"({root / 'stacks' / 'Pulumi.dev.yaml'}), not {other}; pass -s with another stack name "
        f"for this file, or -c {root / 'stacks' / 'dev.kindplane.yaml'}"
    )


def test_a_stack_file_without_the_key_means_the_projects_default_file(tmp_path):
    root = project(tmp_path, stacks={"main": None})
    path = config(root / "kindplane.yaml")
    assert resolve(path, None, None, tmp_path, DEFAULT).stack == "main"


def test_two_stacks_for_one_file_ask_for_s(tmp_path):
    root = project(tmp_path, stacks={"a": "k.yaml", "b": "k.yaml"})
    with pytest.raises(WorkspaceError, match=r"stacks a, b all use .*k.yaml; choose one with -s"):
        resolve(config(root / "k.yaml"), None, None, tmp_path, DEFAULT)


def test_a_pinned_backend_cannot_be_overridden_into_a_second_state(tmp_path):
    root = project(tmp_path, backend="file://~/.kindplane/state")
    path = config(root / "kindplane.yaml")
    assert resolve(path, None, None, tmp_path, DEFAULT).backend is None  # the project decides
    assert resolve(path, None, "file://~/.kindplane/state", tmp_path, DEFAULT).backend == "file://~/.kindplane/state"
    with pytest.raises(WorkspaceError, match="pins the backend to file://~/.kindplane/state; --backend file:///tmp/x"):
        resolve(path, None, "file:///tmp/x", tmp_path, DEFAULT)


def test_a_config_outside_any_project_runs_in_kindplanes_own_project(tmp_path):
    path = config(tmp_path / "shop" / "kindplane.yaml")
    home = tmp_path / "home"
    target = resolve(path, None, None, home, DEFAULT)
    assert target.own_project and target.project_dir == home / "project"
    assert (target.stack, target.config_file, target.backend) == ("shop", str(path), DEFAULT)
    write_own_project(target.project_dir, target.backend)
    settings = yaml.safe_load((home / "project" / "Pulumi.yaml").read_text())
    assert settings["name"] == "kindplane" and settings["backend"] == {"url": DEFAULT}
    assert settings["stackConfigDir"] == "stacks"
    assert (home / "project" / "__main__.py").read_text().endswith("from kindplane.program import main\n\nmain()\n")


def test_a_hostile_stack_name_is_refused(tmp_path):
    path = config(tmp_path / "x" / "kindplane.yaml")
    with pytest.raises(WorkspaceError, match="is not a valid stack name"):
        resolve(path, "dev; rm -rf /", None, tmp_path, DEFAULT)


def test_file_backend_folders_are_found_as_pulumi_reads_them(monkeypatch, tmp_path):
    import pwd

    from kindplane.cli.workspace import absolute_backend, file_backend_dir

    # Pulumi's `~` is the OS account's home (Go's user.Current()), not $HOME.
    account = Path(pwd.getpwuid(os.getuid()).pw_dir)
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    assert file_backend_dir("file://~/.kindplane/state") == account / ".kindplane/state"
    assert file_backend_dir("file://~") == account
    assert file_backend_dir("file:///var/state") == Path("/var/state")
    assert file_backend_dir("file://state/dev", base=tmp_path) == tmp_path / "state/dev"
    assert file_backend_dir("s3://bucket") is None
    # What Pulumi gets: absolute, the query kept.
    assert absolute_backend("file://~/.kindplane/state") == (account / ".kindplane/state").as_uri()
    assert absolute_backend("file://~/s?no_tmp_dir=true") == (account / "s").as_uri() + "?no_tmp_dir=true"
    assert absolute_backend("s3://bucket/x") == "s3://bucket/x"


def test_the_repository_pins_one_backend_for_both_front_doors(monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv("KINDPLANE_HOME", raising=False)
    settings = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert settings["backend"] == {"url": "file://~/.kindplane/state"}
    from kindplane.cli.context import default_backend

    assert default_backend().endswith("/.kindplane/state")  # the CLI's own default is the same folder


# --- a stack whose kindplane.yaml is gone: taken over only when it holds nothing ----------------


def own_stack(home: Path, stack: str, config_file: Path, resources: list[str] | None) -> str:
    """kindplane's own project with stack `stack` naming `config_file`, and a file backend whose
    state holds the stack plus `resources` (types); None: no state for the stack at all."""
    state = home / "state"
    write_own_project(home / "project", state.as_uri())
    stacks = home / "project" / "stacks"
    (stacks / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": {"kindplane:configFile": str(config_file)}}))
    (state / ".pulumi" / "stacks" / "kindplane").mkdir(parents=True)
    (state / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    if resources is not None:
        types = ["pulumi:pulumi:Stack", "pulumi:providers:docker", *resources]
        deployment = {"resources": [{"urn": f"urn:{i}", "type": t} for i, t in enumerate(types)]}
        document = {"version": 3, "checkpoint": {"latest": deployment}}
        (state / ".pulumi" / "stacks" / "kindplane" / f"{stack}.json").write_text(json.dumps(document))
    return state.as_uri()


@pytest.mark.parametrize("resources", [[], None], ids=["destroyed", "never-updated"])
def test_an_empty_stack_whose_file_is_gone_is_taken_over_with_a_note(tmp_path, resources):
    home, gone = tmp_path / "home", tmp_path / "a" / "w" / "kindplane.yaml"
    backend = own_stack(home, "w", gone, resources)
    path = config(tmp_path / "b" / "w" / "kindplane.yaml")
    target = resolve(path, None, None, home, backend)
    assert (target.stack, target.config_path, target.config_file) == ("w", path, str(path))
    assert target.note == (
        f"stack w was configured for {gone}, which no longer exists, and holds no resources: {path} takes it over"
    )


def test_a_stack_whose_file_is_gone_but_which_holds_resources_is_refused(tmp_path):
    home, gone = tmp_path / "home", tmp_path / "a" / "w" / "kindplane.yaml"
    backend = own_stack(home, "w", gone, ["docker:index/container:Container"])
    path = config(tmp_path / "b" / "w" / "kindplane.yaml")
    with pytest.raises(WorkspaceError) as caught:
        resolve(path, None, None, home, backend)
    assert str(caught.value) == (
        f"stack w is configured for {gone} ({home / 'project' / 'stacks' / 'Pulumi.w.yaml'}), which no longer "
        f"exists, and the stack still holds resources; put that file back and run `kindplane -c {gone} down`, "
        f"or pass -s with another stack name for {path}"
    )


def test_a_stack_whose_state_kindplane_cannot_read_is_never_taken_over(tmp_path):
    home, gone = tmp_path / "home", tmp_path / "a" / "w" / "kindplane.yaml"
    own_stack(home, "w", gone, [])
    path = config(tmp_path / "b" / "w" / "kindplane.yaml")
    with pytest.raises(
        WorkspaceError, match="may still hold resources \\(its backend is not a folder kindplane reads\\)"
    ):
        resolve(path, None, None, home, "s3://bucket/state")


def test_a_stack_whose_file_still_exists_is_refused_even_when_empty(tmp_path):
    home = tmp_path / "home"
    other = config(tmp_path / "a" / "w" / "kindplane.yaml")
    backend = own_stack(home, "w", other, [])
    with pytest.raises(WorkspaceError, match=f"stack w is configured for {other} .*, not "):
        resolve(config(tmp_path / "b" / "w" / "kindplane.yaml"), None, None, home, backend)


def test_a_command_says_so_before_it_takes_a_stack_over(cli, engine, tools, tmp_path):
    gone = tmp_path / "a" / "w" / "kindplane.yaml"
    own_stack(tools, "w", gone, [])
    path = config(tmp_path / "b" / "w" / "kindplane.yaml")
    result = cli(["-c", str(path), "preview"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"note: stack w was configured for {gone}, which no longer exists, and holds no resources: {path} takes it over"
    )
    assert engine.targets[0].stack == "w"
