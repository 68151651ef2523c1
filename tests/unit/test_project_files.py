"""The Pulumi project and its stacks point at valid kindplane configs."""

from __future__ import annotations

from pathlib import Path

import yaml

from kindplane.core.config import load_config
from kindplane.core.contract import CONFIG_KEY, CONFIG_NAMESPACE

ROOT = Path(__file__).resolve().parents[2]


def test_pulumi_project_is_python_with_stacks_dir():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == CONFIG_NAMESPACE == "kindplane"
    assert project["runtime"]["name"] == "python"
    assert project["stackConfigDir"] == "stacks"
    assert project["config"][CONFIG_KEY]["default"] == "kindplane.yaml"


def test_every_stack_names_an_existing_valid_kindplane_config():
    stacks = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert [s.name for s in stacks] == ["Pulumi.ci.yaml", "Pulumi.dev.yaml"]
    clusters = []
    for stack in stacks:
        path = yaml.safe_load(stack.read_text())["config"][f"{CONFIG_NAMESPACE}:{CONFIG_KEY}"]
        clusters.append(load_config(ROOT / path).cluster)
    # Side by side on one host: nothing that Docker or kind needs unique may collide.
    assert len({c.name for c in clusters}) == len(clusters)
    assert len({c.registry.name for c in clusters}) == len(clusters)
    assert len({c.registry.port for c in clusters}) == len(clusters)


def test_root_kindplane_yaml_is_the_specs_example():
    cluster = load_config(ROOT / "kindplane.yaml").cluster
    assert cluster.name == "kindplane-dev"
    assert (cluster.registry.enabled, cluster.registry.port) == (True, 5001)
