"""The checked-in JSON Schemas match the models and accept what admins write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from connector.cli import main
from connector.config.schema import SCHEMA_FILES, render
from connector.config.source import load_document

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "config"


def _as_json(path: Path) -> Any:
    """The file as an editor's YAML 1.2 parser sees it (`on:` is a key, dates are text)."""
    return json.loads(json.dumps(load_document(path, path.name).data, default=str))


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_checked_in_schema_is_current(name: str) -> None:
    """schema/*.schema.json equal what the models generate (run `ticketflow schema` if not)."""
    assert (ROOT / "schema" / name).read_text() == render(name)


def test_schema_check_command_reports_stale_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ticketflow schema --check` exits 1 on a stale folder and 0 once written."""
    assert main(["schema", "--output", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(["schema", "--output", str(tmp_path)]) == 0
    assert main(["schema", "--output", str(tmp_path), "--check"]) == 0


@pytest.mark.parametrize(
    ("yaml_file", "schema_name"),
    [
        (ROOT / "rules.yaml", "rules.schema.json"),
        (ROOT / "rules" / "escalation.yaml", "rules-include.schema.json"),
        (ROOT / "mappings.yaml", "mappings.schema.json"),
        (FIXTURES / "valid" / "minimal" / "rules.yaml", "rules.schema.json"),
        (FIXTURES / "valid" / "minimal" / "mappings.yaml", "mappings.schema.json"),
        (FIXTURES / "valid" / "two_projects" / "mappings.yaml", "mappings.schema.json"),
    ],
)
def test_valid_files_pass_the_schema(yaml_file: Path, schema_name: str) -> None:
    """Editors using the schema accept the shorthand forms the loader accepts."""
    schema = json.loads((ROOT / "schema" / schema_name).read_text())
    jsonschema.validate(_as_json(yaml_file), schema)


def test_schema_flags_a_misspelt_condition() -> None:
    """An editor would underline `staus:` just as `ticketflow validate` reports it."""
    schema = json.loads((ROOT / "schema" / "rules.schema.json").read_text())
    data = _as_json(FIXTURES / "valid" / "minimal" / "rules.yaml")
    data["rules"][1]["if"] = {"staus": "Open"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_schema_flags_a_misspelt_rule_test_step() -> None:
    """In a rule test (rules/tests/), an editor underlines `creatd:` as `ticketflow test`
    reports it."""
    schema = json.loads((ROOT / "schema" / "rules-test.schema.json").read_text())
    data = _as_json(ROOT / "rules" / "tests" / "workflow.yaml")
    jsonschema.validate(data, schema)
    data["cases"][0]["steps"][0] = {"creatd": data["cases"][0]["steps"][0]["created"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
