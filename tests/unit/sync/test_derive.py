"""Changelog entries become workflow events, and the mirror keeps when a status was entered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.domain import Change, ChangeItem, Issue, Ticket, User
from connector.sync.derive import Vocabulary, events_from, last_status_entry, to_ticket
from connector.tracker.jira.fields import TicketFields

T0 = datetime(2026, 12, 1, 15, tzinfo=UTC)
ME = User("ticketflow", account_id="acc-bot")
ALICE = User("Alice", account_id="acc-alice", email="alice@example.edu")
VOCABULARY = Vocabulary({"Done": "Complete", "Pending": "Pending", "Reviewing": "Reviewing"},
                        frozenset({"Complete"}), "acc-bot")


def _issue(status: str = "Reviewing", **changes: object) -> Issue:
    issue = Issue(id="10001", key="HELP-1", summary="Export fails", status=status, created=T0,
                  updated=T0 + timedelta(hours=2), description="The export button errors.",
                  assignee=ALICE)
    return Issue(**{**issue.__dict__, **changes})  # type: ignore[arg-type]


def _status_change(change_id: str, at: datetime, old: str, new: str,
                   author: User = ALICE) -> Change:
    return Change(change_id, "10001", at, author, (ChangeItem(
        "status", "status", "1", old, "2", new),))


def test_status_change_maps_jira_names_back_to_the_workflow() -> None:
    """A move to Jira's Done is a status_changed event to the workflow's Complete."""
    change = _status_change("501", T0 + timedelta(hours=1), "Reviewing", "Done")
    (event,) = events_from(_issue("Done"), [change], VOCABULARY, is_new=False)
    assert (event.kind, event.from_status, event.to_status) == (
        "status_changed", "Reviewing", "Complete")
    assert event.trigger == "chg:501:status"
    assert not event.own


def test_own_changes_are_marked() -> None:
    """A change authored by ticketflow's API user is marked own."""
    change = _status_change("502", T0, "Pending", "Reviewing", author=ME)
    (event,) = events_from(_issue(), [change], VOCABULARY, is_new=False)
    assert event.own


def test_new_issue_gets_a_created_event_first() -> None:
    """A new issue yields `created` before its change events; assignee and fields too."""
    changes = [Change("503", "10001", T0 + timedelta(minutes=5), ALICE, (
        ChangeItem("assignee", "assignee", None, None, "acc-alice", "Alice"),
        ChangeItem("priority", "priority", "3", "Medium", "2", "High")))]
    events = events_from(_issue(), changes, VOCABULARY, is_new=True)
    assert [(e.kind, e.field) for e in events] == [
        ("created", None), ("assigned", None), ("field_changed", "priority")]


def test_mirror_takes_status_entry_from_the_changelog() -> None:
    """status_since is the last status change; resolutions count entries into Done."""
    history = [_status_change("1", T0 + timedelta(minutes=10), "Pending", "Reviewing"),
               _status_change("2", T0 + timedelta(minutes=50), "Reviewing", "Done")]
    assert last_status_entry(history) == T0 + timedelta(minutes=50)
    previous = Ticket(issue_id="10001", key="HELP-1", project="HELP", status="Reviewing",
                      status_since=T0, created=T0, updated=T0, resolutions=0)
    ticket = to_ticket(_issue("Done"), TicketFields(category="Data export", tier=2,
                                                    customer_email="pat@uni.example.edu"),
                       project="HELP", vocabulary=VOCABULARY, previous=previous,
                       status_since=last_status_entry(history))
    assert ticket.status == "Complete"
    assert ticket.status_since == T0 + timedelta(minutes=50)
    assert ticket.resolutions == 1
    assert not ticket.open
    assert (ticket.tier, ticket.category, ticket.customer, ticket.assignee) == (
        2, "Data export", "pat@uni.example.edu", "alice@example.edu")
