"""The shipped kindplane.schema.json is the model's schema and agrees with the validator."""

from __future__ import annotations

import json

import yaml

from kindplane.core.schema import SCHEMA_FILE, schema_text


def test_shipped_schema_is_regenerated_from_the_model():
    # Regenerate with: python -m kindplane.core.schema > kindplane.schema.json
    assert SCHEMA_FILE.read_text() == schema_text()


def test_schema_forbids_unknown_keys_and_knows_the_spec_defaults():
    schema = json.loads(SCHEMA_FILE.read_text())
    registry = schema["$defs"]["RegistryConfig"]
    assert registry["additionalProperties"] is False
    assert {k: v.get("default") for k, v in registry["properties"].items()} == {
        "enabled": False,
        "port": 5001,
        "persistent": False,
        "name": "kind-registry",
        "external": False,
        "listenAddress": "127.0.0.1",
        "image": "registry:2",
        "tls": False,
        "auth": None,
    }
    assert schema["$defs"]["RegistryAuthConfig"]["required"] == ["username", "passwordEnv"]
    assert schema["required"] == ["cluster"]
    assert schema["$defs"]["ClusterConfig"]["required"] == ["name"]


def test_stack_examples_use_only_keys_the_schema_declares():
    schema = json.loads(SCHEMA_FILE.read_text())
    cluster_keys = set(schema["$defs"]["ClusterConfig"]["properties"])
    for name in ("stacks/dev.kindplane.yaml", "stacks/ci.kindplane.yaml"):
        assert set(yaml.safe_load(open(name))["cluster"]) <= cluster_keys
