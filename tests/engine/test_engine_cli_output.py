"""The command line as scripts use it, with the real engine: options after the command, and
`-o json` documents from up, preview, ls and status."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import yaml


def test_up_preview_ls_and_status_print_documents_scripts_can_read(new_project):
    project = new_project(workers=0)
    config = str(project.config_path)

    up = project.kindplane("up", "-o", "json", "-s", project.stack, "-c", config)
    made = json.loads(up.stdout)  # stdout holds the document only; progress went to stderr
    assert f"Stack {project.stack} · config {config}" in up.stderr
    assert made["stack"] == project.stack and made["configFile"] == config
    assert made["cluster"] == {
        "name": project.cluster,
        "kubeContext": f"kind-{project.cluster}",
        "nodes": [f"{project.cluster}-control-plane"],
    }
    assert made["registry"]["name"] == project.registry
    assert made["registry"]["clusterAddress"] == f"{project.registry}:5000"
    assert (made["registry"]["external"], made["mirrors"]) == (False, [])

    status = json.loads(project.kindplane("status", "-o", "json", "-c", config).stdout)  # exit 0: all pass
    assert (status["cluster"], status["ok"]) == (project.cluster, True)
    found = {c["name"]: c["status"] for c in status["checks"]}
    assert (
        found["kind installed"]
        == found["Pulumi CLI installed"]
        == found[f"node {project.cluster}-control-plane"]
        == "ok"
    )

    plan = json.loads(project.kindplane("preview", "-c", config, "-o", "json").stdout)
    assert plan["stack"] == project.stack
    assert {op: n for op, n in plan["counts"].items() if op != "same"} == {
        "create": 0,
        "update": 0,
        "replace": 0,
        "delete": 0,
    }
    assert plan["counts"]["same"] > 0

    listed = yaml.safe_load(project.kindplane("ls", "-c", config, "-o", "yaml").stdout)
    assert [row["stack"] for row in listed] == [project.stack]
    row = listed[0]
    assert (row["cluster"], row["registry"], row["configFile"]) == (
        project.cluster,
        made["registry"]["host"],
        str(project.config_path.resolve()),
    )
    assert row["resourceCount"] == len(project.export()["deployment"]["resources"])
    assert row["updateInProgress"] is False
    updated = datetime.fromisoformat(row["lastUpdate"])  # text, not a YAML timestamp
    assert isinstance(row["lastUpdate"], str) and abs((datetime.now(timezone.utc) - updated).total_seconds()) < 600

    table = project.kindplane("ls", "-c", config).stdout.splitlines()
    assert table[0].split() == ["STACK", "CLUSTER", "REGISTRY", "MIRRORS", "LAST", "UPDATE", "RESOURCES"]
    assert table[1].split()[:4] == [project.stack, project.cluster, made["registry"]["host"], "-"]

    project.kindplane("down", "--force", "-c", config)
    assert json.loads(project.kindplane("ls", "-o", "json", "-c", config).stdout)[0]["resourceCount"] == 0
