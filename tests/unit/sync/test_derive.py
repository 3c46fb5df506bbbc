"""The tracker's changes become workflow events, and the mirror keeps when a status was entered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.domain import Ticket
from connector.sync.derive import Vocabulary, events_from, to_ticket
from connector.tracker.feed import Change, ChangeItem, last_status_entry
from connector.tracker.values import Person, TrackedTicket

T0 = datetime(2026, 12, 1, 15, tzinfo=UTC)
ME = Person("acc-bot", None, "ticketflow")
ALICE = Person("acc-alice", "alice@example.edu", "Alice")
VOCABULARY = Vocabulary(frozenset({"Complete"}), "acc-bot")


def _ticket(status: str = "Reviewing", **values: object) -> TrackedTicket:
    ticket = TrackedTicket(key="HELP-1", id="10001", summary="Export fails", status=status,
                           created=T0, updated=T0 + timedelta(hours=2),
                           text="The export button errors.", assignee=ALICE)
    return TrackedTicket(**{**ticket.__dict__, **values})  # type: ignore[arg-type]


def _status_change(change_id: str, at: datetime, old: str, new: str,
                   author: Person = ALICE) -> Change:
    return Change(change_id, at, author, (ChangeItem("status", before=old, after=new),))


def test_a_status_change_is_a_status_changed_event() -> None:
    """A move to Complete is a status_changed event, triggered by that change."""
    change = _status_change("501", T0 + timedelta(hours=1), "Reviewing", "Complete")
    (event,) = events_from(_ticket("Complete"), [change], VOCABULARY, is_new=False)
    assert (event.kind, event.from_status, event.to_status) == (
        "status_changed", "Reviewing", "Complete")
    assert event.trigger == "chg:501:status"
    assert not event.own


def test_own_changes_are_marked() -> None:
    """A change authored by ticketflow's API user is marked own."""
    change = _status_change("502", T0, "Pending", "Reviewing", author=ME)
    (event,) = events_from(_ticket(), [change], VOCABULARY, is_new=False)
    assert event.own


def test_new_ticket_gets_a_created_event_first() -> None:
    """A new ticket yields `created` before its change events; the assignee, the tier (by
    the workflow's name for it) and any other field (by the tracker's) too."""
    changes = [Change("503", T0 + timedelta(minutes=5), ALICE, (
        ChangeItem("assignee", before=None, after="acc-alice"),
        ChangeItem("tier", before="1", after="2"),
        ChangeItem("field", "priority", "Medium", "High")))]
    events = events_from(_ticket(), changes, VOCABULARY, is_new=True)
    assert [(e.kind, e.field) for e in events] == [
        ("created", None), ("assigned", None), ("field_changed", "tier"),
        ("field_changed", "priority")]


def test_mirror_takes_status_entry_from_the_history() -> None:
    """status_since is the last status change; resolutions count entries into Done; the
    workflow's fields are the tracked ticket's."""
    history = [_status_change("1", T0 + timedelta(minutes=10), "Pending", "Reviewing"),
               _status_change("2", T0 + timedelta(minutes=50), "Reviewing", "Complete")]
    assert last_status_entry(history) == T0 + timedelta(minutes=50)
    previous = Ticket(issue_id="10001", key="HELP-1", project="HELP", status="Reviewing",
                      status_since=T0, created=T0, updated=T0, resolutions=0)
    ticket = to_ticket(_ticket("Complete", category="Data export", tier=2,
                               customer="pat@uni.example.edu"),
                       project="HELP", vocabulary=VOCABULARY, previous=previous,
                       status_since=last_status_entry(history))
    assert ticket.status == "Complete"
    assert ticket.status_since == T0 + timedelta(minutes=50)
    assert ticket.resolutions == 1
    assert not ticket.open
    assert (ticket.tier, ticket.category, ticket.customer, ticket.assignee) == (
        2, "Data export", "pat@uni.example.edu", "alice@example.edu")


def test_a_restarted_status_keeps_the_mirrors_later_entry() -> None:
    """An escalation restarts Assigned (Assigned -> Assigned) and the mirror says so; the
    tracker writes no status change for it, so its history's last entry is older: the
    mirror's later one stays, and the next tier's clock is not turned back."""
    history = [_status_change("1", T0, "Reviewing", "Assigned")]
    restarted = T0 + timedelta(hours=5)
    previous = Ticket(issue_id="10001", key="HELP-1", project="HELP", status="Assigned",
                      status_since=restarted, created=T0, updated=restarted)
    ticket = to_ticket(_ticket("Assigned"), project="HELP", vocabulary=VOCABULARY,
                       previous=previous, status_since=last_status_entry(history))
    assert ticket.status_since == restarted
    moved_on = to_ticket(_ticket("In Progress"), project="HELP", vocabulary=VOCABULARY,
                         previous=previous, status_since=T0 + timedelta(hours=6))
    assert moved_on.status_since == T0 + timedelta(hours=6)
