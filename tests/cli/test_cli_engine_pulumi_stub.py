"""PulumiEngine through the real Automation API library, down to the `pulumi` executable.

A stub executable stands in for the CLI: it logs each invocation (argv, working directory,
environment) and answers like the CLI for the few commands used. This checks what kindplane asks
of the CLI quickly and without Docker; tests/engine runs the real CLI end to end.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_support import write_exe

from kindplane.cli.engine import NoSuchStack, PulumiEngine, StackBusy
from kindplane.cli.workspace import StackTarget

STUB = """#!{python}
import json, os, sys
args = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(os.environ["STUB_LOG"], "a") as log:
    env = {{k: os.environ.get(k) for k in ("PATH", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL", "PULUMI_PYTHON_CMD")}}
    log.write(json.dumps({{"argv": args, "cwd": os.getcwd(), "env": env}}) + "\\n")
if args[:1] == ["version"]:
    print("v3.272.0")
elif args[:2] == ["stack", "select"] and os.environ.get("STUB_NO_STACK"):
    sys.stderr.write("error: no stack named 'dev' found\\n")
    sys.exit(255)
elif args[:2] == ["config", "--show-secrets"] or args[:1] == ["config"] and "--json" in args:
    print("{{}}")
elif args[:2] == ["stack", "export"]:
    print(open(os.environ["STUB_STATE"]).read())
elif args[:2] == ["stack", "history"]:
    print(json.dumps([{{"kind": "refresh", "result": "succeeded", "message": "", "environment": {{}}, "config": {{}},
                       "startTime": "2026-01-01T00:00:00.000Z", "endTime": "2026-01-01T00:00:01.000Z"}}]))
elif args[:2] == ["stack", "output"]:
    print(json.dumps({{"clusterName": "shop"}}))
elif args[:1] in (["refresh"], ["destroy"]) and os.environ.get("STUB_LOCKED"):
    sys.stderr.write("error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\\n")
    sys.exit(255)
"""

STATE = {
    "version": 3,
    "deployment": {
        "resources": [
            {
                "urn": "urn:pulumi:dev::kindplane::pulumi:pulumi:Stack::kindplane-dev",
                "type": "pulumi:pulumi:Stack",
                "outputs": {"clusterName": "shop"},
            },
            {
                "urn": "urn:pulumi:dev::kindplane::command:local:Command::kindplane-cluster-kind",
                "type": "command:local:Command",
                "inputs": {"create": "kind create cluster --name shop --config -"},
            },
        ]
    },
}


@pytest.fixture
def stub(tmp_path, monkeypatch):
    home = tmp_path / "home"
    write_exe(home / "pulumi" / "bin" / "pulumi", STUB.format(python=sys.executable))
    (tmp_path / "state.json").write_text(json.dumps(STATE))
    monkeypatch.setenv("KINDPLANE_HOME", str(home))
    monkeypatch.setenv("STUB_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("STUB_STATE", str(tmp_path / "state.json"))
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)

    def calls() -> list[dict]:
        return [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]

    return home, calls


def engine(tmp_path: Path) -> PulumiEngine:
    project = tmp_path / "proj"
    project.mkdir(exist_ok=True)
    (project / "Pulumi.yaml").write_text("name: kindplane\nruntime: python\nstackConfigDir: stacks\n")
    backend = (tmp_path / "state").as_uri()
    return PulumiEngine(StackTarget("dev", project, "kindplane.yaml", project / "kindplane.yaml", backend, False))


def test_selects_the_existing_stack_in_the_project_folder_and_reads_state(stub, tmp_path):
    home, calls = stub
    found = engine(tmp_path)
    assert found.managed_clusters() == {"shop"}
    assert found.outputs() == {"clusterName": "shop"}
    argvs = [c["argv"] for c in calls() if c["argv"] != ["version"]]
    assert argvs[0] == ["stack", "select", "--stack", "dev"]
    assert ["stack", "export", "--show-secrets", "--stack", "dev"] in argvs
    assert not [a for a in argvs if a[:2] in (["stack", "init"], ["plugin", "install"])]
    assert (tmp_path / "state").is_dir()  # the file backend's folder exists before login


def test_a_missing_stack_is_never_created_outside_up(stub, tmp_path, monkeypatch):
    _, calls = stub
    monkeypatch.setenv("STUB_NO_STACK", "1")
    found = engine(tmp_path)
    assert found.exists() is False
    assert found.managed_clusters() == set()
    with pytest.raises(NoSuchStack, match="there is no stack 'dev' in file://"):
        found.destroy(lambda step: None)
    assert not [c for c in calls() if c["argv"][:2] == ["stack", "init"]]


def test_runs_the_projects_program_in_its_folder_with_backend_passphrase_python_and_path(stub, tmp_path):
    home, calls = stub
    engine(tmp_path).outputs()
    last = calls()[-1]
    assert last["cwd"] == str(tmp_path / "proj")
    assert last["env"]["PULUMI_CONFIG_PASSPHRASE"] == ""
    assert last["env"]["PULUMI_BACKEND_URL"] == (tmp_path / "state").as_uri()
    assert last["env"]["PULUMI_PYTHON_CMD"] == sys.executable
    # kind from `kindplane setup` is found by the command provider before any other kind.
    assert set(last["env"]["PATH"].split(":")[:2]) == {str(home / "bin"), str(home / "pulumi" / "bin")}


def test_a_locked_stack_from_the_cli_becomes_stack_busy(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("STUB_LOCKED", "1")
    with pytest.raises(StackBusy, match=r"another kindplane run is updating stack 'dev'"):
        engine(tmp_path).refresh(lambda step: None)


def test_refresh_clears_pending_creates_and_never_colours(stub, tmp_path):
    _, calls = stub
    engine(tmp_path).refresh(lambda step: None)
    refresh = next(c["argv"] for c in calls() if c["argv"][:1] == ["refresh"])
    assert "--clear-pending-creates" in refresh
    assert refresh[refresh.index("--color") + 1] == "never"
    assert refresh[refresh.index("--stack") + 1] == "dev"


def test_up_s_questions_read_the_state_once_and_again_after_a_change(stub, tmp_path):
    _, calls = stub
    found = engine(tmp_path)

    def exports() -> int:
        return sum(1 for c in calls() if c["argv"][:2] == ["stack", "export"])

    # What converge asks before it refreshes: one `pulumi stack export`, not three.
    assert found.last_config_file() is None
    assert found.managed_clusters() == {"shop"}
    assert found.pending_clusters() == set()
    assert exports() == 1
    found.refresh(lambda step: None)  # the state may have changed: read it again
    assert found.managed_clusters() == {"shop"}
    assert exports() == 2
