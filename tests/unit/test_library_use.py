"""The components work from someone else's Pulumi program, as docs/pulumi.md shows."""

from __future__ import annotations

import re
from pathlib import Path

from support.pulumi_mocks import COMMAND, CONFIGMAP, CONTAINER, run_program

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "pulumi.md"


def library_example() -> str:
    text = GUIDE.read_text()
    section = text.split("## Use the components from your own Pulumi program", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_library_example_runs_and_wires_the_pieces(tmp_path, monkeypatch):
    (tmp_path / "kindplane.yaml").write_text("cluster: {name: mine}\n")
    monkeypatch.chdir(tmp_path)
    result = run_program(lambda: exec(library_example(), {"__name__": "user_program"}))
    container = result.one(CONTAINER)
    assert container.inputs["name"] == "kind-registry"
    assert container.inputs["ports"] == [{"internal": 5000, "external": 5005, "ip": "127.0.0.1"}]
    assert result.outputs["registry"] == "localhost:5005"
    assert "kubeconfig" in result.secret_outputs
    creates = {r.inputs["create"] for r in result.of_type(COMMAND)}
    assert "kind create cluster --name mine --config -" in creates
    assert "kind create cluster --name demo --config -" in creates
    assert result.one(CONFIGMAP).name == "demo-wiring-local-registry-hosting"


def test_public_names_are_importable_from_the_package():
    import kindplane

    for name in kindplane.__all__:
        assert getattr(kindplane, name) is not None
