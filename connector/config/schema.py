"""JSON Schemas of `rules.yaml`, `mappings.yaml` and rule tests, for editors that check YAML."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from connector.config.conditions import CONDITIONS
from connector.config.models import IncludedRules, MappingsFile, RulesFile
from connector.config.ruletests import TestFile

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "rules.schema.json": RulesFile,
    "rules-include.schema.json": IncludedRules,
    "mappings.schema.json": MappingsFile,
    "rules-test.schema.json": TestFile,  # rules/tests/*.yaml (`ticketflow test`)
}


def _condition_mapping(defs: dict[str, Any]) -> dict[str, Any]:
    """The `if:` shorthand: one mapping whose keys are condition types (all must hold)."""
    properties = {}
    for kind, model in CONDITIONS.items():
        properties[kind] = defs[model.__name__]["properties"][kind]
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "description": "Conditions that must all hold, one per key.",
    }


def _is_condition_list(node: Any) -> bool:
    if not (isinstance(node, dict) and node.get("type") == "array"):
        return False
    refs = {item.get("$ref") for item in node.get("items", {}).get("oneOf", [])}
    return refs == {f"#/$defs/{model.__name__}" for model in CONDITIONS.values()}


def _accept_shorthand(node: Any, mapping: dict[str, Any]) -> Any:
    if _is_condition_list(node):
        return {"anyOf": [{"$ref": "#/$defs/ConditionMapping"}, node]}
    if isinstance(node, dict):
        return {key: _accept_shorthand(value, mapping) for key, value in node.items()}
    if isinstance(node, list):
        return [_accept_shorthand(item, mapping) for item in node]
    return node


def build(name: str) -> dict[str, Any]:
    """The schema for one of SCHEMA_FILES, with the YAML shorthands editors should accept."""
    schema: dict[str, Any] = SCHEMA_FILES[name].model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    if any(model.__name__ in defs for model in CONDITIONS.values()):
        mapping = _condition_mapping(defs)
        schema = _accept_shorthand(schema, mapping)
        schema["$defs"]["ConditionMapping"] = _accept_shorthand(mapping, mapping)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://ticketflow.invalid/schema/{name}"
    return schema


def render(name: str) -> str:
    """The schema as the checked-in file holds it (stable key order, trailing newline)."""
    return json.dumps(build(name), indent=2, sort_keys=True) + "\n"
