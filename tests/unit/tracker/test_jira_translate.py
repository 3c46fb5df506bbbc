"""Jira's records in the workflow's words: statuses both ways, changelog items as workflow
changes, and writes that leave alone what an issue holds already."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connector.config.trackers import FieldMap
from connector.tracker.feed import ChangeItem
from connector.tracker.jira.fields import FieldCodec
from connector.tracker.jira.records import Change as JiraChange
from connector.tracker.jira.records import ChangeItem as JiraItem
from connector.tracker.jira.records import Issue, User
from connector.tracker.jira.translate import JiraVocabulary
from connector.tracker.values import WorkflowFields

T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
STATUSES = {"Pending": "Pending", "Reviewing": "Reviewing", "Complete": "Done"}


def _words(**fields: Any) -> JiraVocabulary:
    mapped = {"category": {"label_prefix": "cat-"},
              "tier": {"custom_field": "customfield_10071"},
              "customer_email": {"custom_field": "customfield_10072"}, **fields}
    codec = FieldCodec(FieldMap.model_validate(mapped), categories=["Access", "Data export"])
    return JiraVocabulary("HELP", "Service Request", STATUSES, frozenset({"Complete"}), codec)


def _item(field: str, field_id: str | None, before: str | None, after: str | None) -> JiraItem:
    return JiraItem(field, field_id, None, before, None, after)


def test_statuses_translate_both_ways_and_unmapped_ones_pass_through() -> None:
    """Done is Complete to the workflow (in any case); a status mappings.yaml does not name
    stays itself, for `validate --online` to report."""
    words = _words()
    assert words.workflow_status("done") == "Complete"
    assert words.workflow_status("Waiting for customer") == "Waiting for customer"
    assert words.jira_status("Complete") == "Done"
    assert words.done_jira_statuses() == ["Done"]


def test_changelog_items_become_workflow_changes() -> None:
    """Status names become the workflow's; the tier's custom field a tier change; a label
    change both a category change (its prefixed label) and a labels change (a person's
    label); the customer's field is the customer; any other field keeps Jira's id."""
    words = _words()
    change = words.change(JiraChange("7", "10000", T0, User("Bob", account_id="acc-bob"), (
        _item("status", "status", "Pending", "Done"),
        _item("Tier", "customfield_10071", "1", "2"),
        _item("labels", "labels", "cat-access", "cat-data-export vip"),
        _item("Customer email", "customfield_10072", None, "pat@uni.example.edu"),
        _item("priority", "priority", "Medium", "High"),
    )))
    assert change.author is not None and change.author.ref == "acc-bob"
    assert change.items == (
        ChangeItem("status", before="Pending", after="Complete"),
        ChangeItem("tier", before="1", after="2"),
        ChangeItem("category", before="cat-access", after="cat-data-export vip"),
        ChangeItem("field", "labels", "cat-access", "cat-data-export vip"),
        ChangeItem("field", "customer", None, "pat@uni.example.edu"),
        ChangeItem("field", "priority", "Medium", "High"),
    )


def test_a_ticket_reads_in_workflow_words() -> None:
    """The issue's status, category label, tier field and customer field as the workflow's
    values; its comments as public or not."""
    words = _words()
    issue = Issue(id="1", key="HELP-1", summary="s", status="Done", created=T0, updated=T0,
                  labels=("cat-data-export", "vip"),
                  custom_fields={"customfield_10071": 2.0, "customfield_10072": "p@x.org"})
    ticket = words.ticket(issue)
    assert (ticket.status, ticket.category, ticket.tier, ticket.customer) == (
        "Complete", "Data export", 2, "p@x.org")
    assert ticket.labels == ("cat-data-export", "vip")


def test_writes_leave_out_what_the_issue_holds_already() -> None:
    """Setting a tier the issue has, and a category, writes only the category's label
    (keeping the person's labels)."""
    words = _words()
    issue = Issue(id="1", key="HELP-1", summary="s", status="Pending", created=T0, updated=T0,
                  labels=("vip",), custom_fields={"customfield_10071": 1})
    assert words.field_values(issue, WorkflowFields(tier=1, category="Access")) == {
        "labels": ["vip", "cat-access"]}
    assert words.field_values(issue, WorkflowFields(tier=1)) == {}
    assert words.codec.reads_first({"category": "Access"})
    assert not words.codec.reads_first({"tier": 2, "customer": "p@x.org"})
