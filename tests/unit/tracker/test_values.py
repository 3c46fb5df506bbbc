"""The boundary's own values: which workflow fields a write sets, and `PROJECT-123` references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.tracker.feed import Change, ChangeItem, last_status_entry
from connector.tracker.refs import ProjectKeyRefs
from connector.tracker.values import Person, WorkflowFields

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_only_the_fields_given_are_written_and_none_clears() -> None:
    """UNSET leaves a field alone; None is a value (it clears, e.g. unassigns)."""
    fields = WorkflowFields(tier=2, assignee=None)
    assert fields.given() == {"tier": 2, "assignee": None}
    assert WorkflowFields().given() == {}


def test_a_person_is_named_by_email_else_by_the_trackers_reference() -> None:
    """The mirror keeps an assignee's e-mail; a person whose e-mail the tracker hides is kept
    by their account id instead."""
    assert Person("712020:bob", "bob@example.edu", "Bob").identity == "bob@example.edu"
    assert Person("712020:bob", None, "Bob").identity == "712020:bob"


def test_project_keys_are_found_in_subjects_and_ids_of_this_project_only() -> None:
    """`[HELP-12]` threads a reply; another project's key or a longer word does not."""
    refs = ProjectKeyRefs("HELP", url=lambda key: f"https://jira.example.edu/browse/{key}")
    subject = "Re: [help-012] and HELP-7, not OTHERHELP-3 or HELP-99x or OPS-4"
    assert refs.in_subject(subject) == ["HELP-12", "HELP-7"]
    assert refs.subject_tag("HELP-12") == "[HELP-12]"
    assert refs.parse("help-12") == "HELP-12"
    assert refs.parse("HELP-12x") is None
    assert refs.parse("OPS-12") is None
    assert refs.web_url("HELP-12") == "https://jira.example.edu/browse/HELP-12"


def test_the_last_status_entry_is_the_newest_status_change() -> None:
    """status_since comes from the newest change that moved the status, whatever else
    changed later."""
    history = [
        Change("1", T0, None, (ChangeItem("status", before="Pending", after="Reviewing"),)),
        Change("2", T0 + timedelta(hours=1), None, (ChangeItem("tier", before="1", after="2"),)),
        Change("3", T0 + timedelta(hours=2), None,
               (ChangeItem("status", before="Reviewing", after="Assigned"),)),
        Change("4", T0 + timedelta(hours=3), None, (ChangeItem("field", "priority"),)),
    ]
    assert last_status_entry(history) == T0 + timedelta(hours=2)
    assert last_status_entry(history[1:2]) is None
