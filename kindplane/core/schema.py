"""JSON Schema of kindplane.yaml, generated from the pydantic model, for editor validation."""

from __future__ import annotations

import json
from pathlib import Path

from .config import KindplaneConfig
from .kind_fragment import KindFragment

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "kindplane.schema.json"


def json_schema() -> dict:
    schema = KindplaneConfig.model_json_schema(by_alias=True, mode="validation")
    # cluster.kind is typed Any in the model (its validators load lazily): its schema is KindFragment's.
    fragment = KindFragment.model_json_schema(by_alias=True, mode="validation", ref_template="#/$defs/{model}")
    schema["$defs"].update(fragment.pop("$defs", {}))
    kind = schema["$defs"]["ClusterConfig"]["properties"]["kind"]
    schema["$defs"]["KindFragment"] = fragment
    kind.pop("title", None)
    kind["$ref"] = "#/$defs/KindFragment"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "kindplane.yaml"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m kindplane.core.schema > kindplane.schema.json
    print(schema_text(), end="")
