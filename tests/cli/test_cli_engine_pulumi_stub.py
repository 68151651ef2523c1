"""PulumiEngine through the real Automation API library, down to the `pulumi` executable.

The Pulumi CLI cannot be installed here, so a stub executable stands in for it: it logs each
invocation (argv, working directory, environment) and answers like the CLI for the few
commands used. This checks what kindplane asks of the CLI, not what the CLI then does.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from kindplane.cli.engine import PulumiEngine, StackBusy, StackTarget
from kindplane.config import parse_config

from cli_support import write_exe

STUB = """#!{python}
import json, os, sys
args = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(os.environ["STUB_LOG"], "a") as log:
    env = {{k: os.environ.get(k) for k in ("PATH", "PULUMI_CONFIG_PASSPHRASE")}}
    log.write(json.dumps({{"argv": args, "cwd": os.getcwd(), "env": env}}) + "\\n")
if args[:1] == ["version"]:
    print("v3.272.0")
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

STATE = {"version": 3, "deployment": {"resources": [
    {"urn": "urn:pulumi:dev::kindplane::pulumi:pulumi:Stack::kindplane-dev", "type": "pulumi:pulumi:Stack"},
    {"urn": "urn:pulumi:dev::kindplane::command:local:Command::kindplane-cluster-kind",
     "type": "command:local:Command", "inputs": {"create": "kind create cluster --name shop --config -"}},
]}}


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

    def calls() -> list[dict]:
        return [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]

    return home, calls


def engine(tmp_path: Path) -> PulumiEngine:
    backend = (tmp_path / "state").as_uri()
    return PulumiEngine(StackTarget("dev", backend, parse_config("cluster: {name: shop}\n")))


def plugin_version(package: str) -> str:
    import importlib.resources

    return json.loads(importlib.resources.files(package).joinpath("pulumi-plugin.json").read_text())["version"]


def test_selects_the_stack_installs_the_sdk_plugins_and_reads_state(stub, tmp_path):
    home, calls = stub
    found = engine(tmp_path)
    assert found.managed_clusters() == {"shop"}
    assert found.outputs() == {"clusterName": "shop"}
    argvs = [c["argv"] for c in calls() if c["argv"] != ["version"]]
    assert argvs[0] == ["stack", "select", "--stack", "dev"]
    assert argvs[1:4] == [
        ["plugin", "install", "resource", "docker", "v" + plugin_version("pulumi_docker")],
        ["plugin", "install", "resource", "command", "v" + plugin_version("pulumi_command")],
        ["plugin", "install", "resource", "kubernetes", "v" + plugin_version("pulumi_kubernetes")],
    ]
    assert ["stack", "export", "--show-secrets", "--stack", "dev"] in argvs
    assert (tmp_path / "state").is_dir()  # the file backend's folder exists before login


def test_runs_in_a_kindplane_workspace_with_backend_passphrase_and_path(stub, tmp_path):
    home, calls = stub
    engine(tmp_path).outputs()
    last = calls()[-1]
    work_dir = home / "workspaces" / "dev"
    assert last["cwd"] == str(work_dir)
    project = yaml.safe_load((work_dir / "Pulumi.yaml").read_text())
    assert project["name"] == "kindplane" and project["runtime"] == "python"
    assert project["backend"]["url"] == (tmp_path / "state").as_uri()
    assert last["env"]["PULUMI_CONFIG_PASSPHRASE"] == ""
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
