"""`validate --online` checks with plain values: each mismatch at its line in mappings.yaml."""

from __future__ import annotations

from pathlib import Path

from connector.config.loader import MAPPINGS_FILE, load_config, mappings_document
from connector.config.mappings import jira_section
from connector.config.source import load_document
from connector.tracker.jira.admin import JiraProject
from connector.tracker.jira.online import Catalogue, Person, check, unmapped_statuses

PEOPLE = {p: Person(found=True) for p in
          ("alice@example.edu", "bob@example.edu", "carol@example.edu", "dave@example.edu")}
FIELDS = {
    "summary": "Summary",
    "customfield_10070": "Category",
    "customfield_10071": "Tier",
    "customfield_10072": "Customer email",
    "customfield_10073": "Satisfaction",
}
TYPES = {"summary": "string", "customfield_10070": "string", "customfield_10071": "number",
         "customfield_10072": "string", "customfield_10073": "number"}
STATUSES = ("To Do", "In Progress", "Done", "Pending", "Reviewing", "Assigned")


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _good() -> Catalogue:
    return Catalogue(
        project=JiraProject("10000", "HELP", {"Service Request": "10004"}),
        statuses=STATUSES,
        type_statuses=STATUSES[1:],
        fields=FIELDS,
        field_types=TYPES,
        components=frozenset({"Access", "Data export", "Project setup", "Other"}),
        people=PEOPLE,
    )


def test_matching_tracker_has_no_problems(shipped_config: Path) -> None:
    """The shipped mappings against a Jira that has everything: nothing to report."""
    config = load_config(shipped_config)
    document = load_document(shipped_config / MAPPINGS_FILE, MAPPINGS_FILE)
    categories = [c.name for c in config.rules.categories]
    assert check(jira_section(config.mappings), document, _good(), categories=categories) == []


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
    found = [str(p) for p in check(jira_section(config.mappings), document, _good())]
    status_line = _line_of(path, "Complete: Dne")
    assert (
        f'mappings.yaml:{status_line}:15: jira.statuses.Complete: Jira has no status "Dne" '
        '(did you mean "Done"?); expected an existing status' in found[0]
    )
    field_line = _line_of(path, "customfield_19999")
    assert found[1].startswith(f"mappings.yaml:{field_line}:")
    assert (
        'jira.fields.customer_email.custom_field: Jira has no field "customfield_19999"; '
        "expected one of: customfield_10070 (Category)" in found[1]
    )
    user_line = _line_of(path, "karol@example.edu")
    assert found[2].startswith(f"mappings.yaml:{user_line}:")
    assert 'jira.roles.tier2.users[1]: Jira has no user "karol@example.edu"; expected' in found[2]


def test_missing_project_and_workflow_statuses(shipped_config: Path) -> None:
    """No project: one problem at `jira.project`; a status outside the workflow: run install."""
    config = load_config(shipped_config)
    document = load_document(shipped_config / MAPPINGS_FILE, MAPPINGS_FILE)
    gone = check(
        jira_section(config.mappings), document,
        Catalogue(project=None, fields=FIELDS, people=PEOPLE))
    assert [p.path for p in gone] == ["jira.project"]
    outside = Catalogue(
        project=_good().project,
        statuses=STATUSES,
        type_statuses=("Pending",),
        fields=FIELDS,
        people=PEOPLE,
    )
    problems = check(jira_section(config.mappings), document, outside, categories=["Access"])
    assert [p.path for p in problems] == [
        "jira.statuses.Reviewing",
        "jira.statuses.Assigned",
        "jira.statuses.In Progress",
        "jira.statuses.Complete",
        "jira.fields.category.component",
    ]
    assert "run `ticketflow install-scheme`" in problems[0].message


def test_role_entries_must_be_active_users_exactly(shipped_config: Path) -> None:
    """A near miss Jira's search still answers (bob@example.ed finds bob@example.edu) is no
    match, with the user offered; a deactivated user and a group are named for what they are:
    none can be assigned a ticket."""
    path = shipped_config / MAPPINGS_FILE
    path.write_text(path.read_text().replace("bob@example.edu", "bob@example.ed")
                    .replace("carol@example.edu", "helpdesk-team"))
    config = load_config(shipped_config)
    document = load_document(path, MAPPINGS_FILE)
    people = {**PEOPLE, "bob@example.ed": Person(found=False, offered="bob@example.edu"),
              "helpdesk-team": Person(found=False, group=True),
              "dave@example.edu": Person(found=True, active=False)}
    catalogue = Catalogue(**{**_good().__dict__, "people": people})
    found = {p.path: p.message for p in check(jira_section(config.mappings), document, catalogue)}
    assert found["jira.roles.tier2.users[0]"].startswith(
        'Jira has no user "bob@example.ed" (did you mean "bob@example.edu"?); expected the '
        "e-mail (Cloud) or user name (Data Center) of an active Jira user")
    assert found["jira.roles.tier2.users[1]"].startswith(
        '"helpdesk-team" is a Jira group, not a user')
    assert found["jira.roles.tier3.users[0]"].startswith(
        'Jira user "dave@example.edu" is deactivated')


def test_a_custom_field_of_the_wrong_type_is_named(shipped_config: Path) -> None:
    """customer_email mapped to the (numeric) tier field: the field exists, so only its type
    shows the slip; the message names the fields that would fit."""
    path = shipped_config / MAPPINGS_FILE
    path.write_text(path.read_text().replace(
        "customer_email: {custom_field: customfield_10072}",
        "customer_email: {custom_field: customfield_10073}"))
    config = load_config(shipped_config)
    document = load_document(path, MAPPINGS_FILE)
    (problem,) = check(jira_section(config.mappings), document, _good())
    assert problem.path == "jira.fields.customer_email.custom_field"
    assert problem.message == (
        'field "customfield_10073" (Satisfaction) holds number values, and customer_email is '
        "written as string; expected a field of that type: customfield_10070 (Category), "
        "customfield_10072 (Customer email)")


def test_a_flat_file_is_checked_online_at_its_own_lines(shipped_config: Path) -> None:
    """The older flat layout, checked online: a mismatch is reported at the line and column
    the admin wrote it (the names are read as the `jira:` section)."""
    path = shipped_config / MAPPINGS_FILE
    sectioned = path.read_text().split("\n# With `tracker: zendesk`")[0]
    flat = sectioned.replace("jira:                            # one Jira project\n", "")
    flat = flat.replace("\n  ", "\n").replace("Complete: Done", "Complete: Dne")
    path.write_text(flat + "\nmailbox: {address: help@example.edu}\n")
    config = load_config(shipped_config)
    assert config.warnings  # it is the flat layout indeed
    (problem,) = check(jira_section(config.mappings), mappings_document(shipped_config), _good(),
                       categories=[c.name for c in config.rules.categories])
    assert str(problem).startswith(
        f'mappings.yaml:{_line_of(path, "Complete: Dne")}:13: jira.statuses.Complete: Jira '
        'has no status "Dne"')


def test_statuses_of_the_jira_workflow_no_workflow_status_maps_to_are_named(
        shipped_config: Path) -> None:
    """A status the issue type's workflow has and mappings.yaml does not map is no error
    (the ticket passes through under Jira's name) but `validate --online` names it."""
    config = load_config(shipped_config)
    extra = Catalogue(**{**_good().__dict__,
                         "type_statuses": (*STATUSES[1:], "Waiting for customer")})
    assert unmapped_statuses(jira_section(config.mappings), extra) == ["Waiting for customer"]
    assert unmapped_statuses(jira_section(config.mappings), _good()) == []
