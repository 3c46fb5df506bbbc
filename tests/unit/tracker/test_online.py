"""`validate --online` checks with plain values: each mismatch at its line in mappings.yaml."""

from __future__ import annotations

from pathlib import Path

from connector.config.loader import MAPPINGS_FILE, load_config
from connector.config.source import load_document
from connector.tracker.jira.admin import JiraProject
from connector.tracker.jira.online import Catalogue, check

PEOPLE = frozenset(
    {"alice@example.edu", "bob@example.edu", "carol@example.edu", "dave@example.edu"}
)
FIELDS = {
    "summary": "Summary",
    "customfield_10070": "Category",
    "customfield_10071": "Tier",
    "customfield_10072": "Customer email",
    "customfield_10073": "Satisfaction",
}
STATUSES = ("To Do", "In Progress", "Done", "Pending", "Reviewing", "Assigned")


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _good() -> Catalogue:
    return Catalogue(
        project=JiraProject("10000", "HELP", {"Service Request": "10004"}),
        statuses=STATUSES,
        type_statuses=STATUSES[1:],
        fields=FIELDS,
        components=frozenset({"Access", "Data export", "Project setup", "Other"}),
        known_people=PEOPLE,
    )


def test_matching_tracker_has_no_problems(shipped_config: Path) -> None:
    """The shipped mappings against a Jira that has everything: nothing to report."""
    config = load_config(shipped_config)
    document = load_document(shipped_config / MAPPINGS_FILE, MAPPINGS_FILE)
    categories = [c.name for c in config.rules.categories]
    assert check(config.mappings, document, _good(), categories=categories) == []


def test_each_mismatch_points_at_its_line(shipped_config: Path) -> None:
    """A misspelt status, a missing field and an unknown user, each at its own line."""
    path = shipped_config / MAPPINGS_FILE
    path.write_text(
        path.read_text()
        .replace("Complete: Done", "Complete: Dne")
        .replace("customfield_10072", "customfield_19999")
        .replace("carol@example.edu", "karol@example.edu")
    )
    config = load_config(shipped_config)
    document = load_document(path, MAPPINGS_FILE)
    found = [str(p) for p in check(config.mappings, document, _good())]
    status_line = _line_of(path, "Complete: Dne")
    assert (
        f'mappings.yaml:{status_line}:13: statuses.Complete: Jira has no status "Dne" '
        '(did you mean "Done"?); expected an existing status' in found[0]
    )
    field_line = _line_of(path, "customfield_19999")
    assert found[1].startswith(f"mappings.yaml:{field_line}:")
    assert (
        'fields.customer_email.custom_field: Jira has no field "customfield_19999"; '
        "expected one of: customfield_10070 (Category)" in found[1]
    )
    user_line = _line_of(path, "karol@example.edu")
    assert found[2].startswith(f"mappings.yaml:{user_line}:")
    assert 'roles.tier2.users[1]: Jira has no user or group "karol@example.edu"' in found[2]


def test_missing_project_and_workflow_statuses(shipped_config: Path) -> None:
    """No project: one problem at `project:`; a status outside the workflow: run install."""
    config = load_config(shipped_config)
    document = load_document(shipped_config / MAPPINGS_FILE, MAPPINGS_FILE)
    gone = check(
        config.mappings, document, Catalogue(project=None, fields=FIELDS, known_people=PEOPLE)
    )
    assert [p.path for p in gone] == ["project"]
    outside = Catalogue(
        project=_good().project,
        statuses=STATUSES,
        type_statuses=("Pending",),
        fields=FIELDS,
        known_people=PEOPLE,
    )
    problems = check(config.mappings, document, outside, categories=["Access"])
    assert [p.path for p in problems] == [
        "statuses.Reviewing",
        "statuses.Assigned",
        "statuses.In Progress",
        "statuses.Complete",
        "fields.category.component",
    ]
    assert "run `ticketflow install-scheme`" in problems[0].message
