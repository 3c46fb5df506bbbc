"""The shipped rule tests (rules/tests/) pass on the shipped rules, and fail when the rules
they hold change: CI runs `ticketflow test` through this module."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from connector.cli import main
from connector.config.source import load_document

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted((ROOT / "rules" / "tests").glob("*.yaml"))


def test_the_shipped_rule_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    """`ticketflow test` on the shipped configuration: every case of rules/tests/ passes."""
    code = main(["test", "--config-dir", str(ROOT)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert " failed" not in out and " error" not in out


def test_the_shipped_tests_cover_the_seed_workflow() -> None:
    """Issue 16's list: escalation around the limit, across a weekend, a holiday and a DST
    change; the Access override; manual assignment; work started; completion with one
    survey and none after a reopen; bounce and out-of-office handling."""
    names = " | ".join(case["name"] for path in SHIPPED
                       for case in load_document(path, path.name).data["cases"])
    for words in ("one minute after its 4 business hours, not one minute before", "weekend",
                  "holiday", "daylight saving", "Access ticket escalates", "assigns by hand",
                  "starts work", "asks for feedback once", "asks no second survey",
                  "bounce", "out-of-office"):
        assert words in names, words


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_shipped_tests_pass_the_editors_schema(path: Path) -> None:
    """What the YAML language server checks (schema/rules-test.schema.json) accepts them."""
    schema = json.loads((ROOT / "schema" / "rules-test.schema.json").read_text())
    data = json.loads(json.dumps(load_document(path, path.name).data, default=str))
    jsonschema.validate(data, schema)


@pytest.mark.parametrize(
    ("change", "case"),
    [
        (("2026-11-26, ", ""), "a holiday is not business time"),
        (("Access: 2 business hours", "Access: 3 business hours"),
         "an Access ticket escalates after 2 business hours"),
        (("      - survey: {template: feedback_request, delay: 1h}\n", ""),
         "completion tells the customer and asks for feedback once"),
        (("escalate_after: 4 business hours", "escalate_after: 5 business hours"),
         "tier 1 escalates one minute after its 4 business hours"),
    ],
    ids=["holiday", "access", "survey", "ladder"],
)
def test_the_shipped_tests_fail_when_the_rules_they_hold_change(
        change: tuple[str, str], case: str, shipped_config: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Edit rules.yaml as an admin might; the case that holds that part of it fails (F),
    naming itself, and the run exits 1."""
    rules = shipped_config / "rules.yaml"
    old, new = change
    assert old in rules.read_text()
    rules.write_text(rules.read_text().replace(old, new))
    code = main(["test", "--config-dir", str(shipped_config), "-k", case])
    out = capsys.readouterr().out
    assert code == 1
    assert f': "{case}' in out and "FAILED rules/tests/" in out
