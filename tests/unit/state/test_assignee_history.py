"""The assignee history least_loaded counts: each member's open tickets as of an instant, on
every store, from the mirror's updates (dated on the tracker's clock) and ticketflow's picks
(dated when their action fell due)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from connector.domain import Ticket
from connector.state.assignments import Pick
from connector.state.base import Decision, Transaction
from connector.state.store import SqlStateStore

TicketFactory = Callable[..., Ticket]
HOUR = timedelta(hours=1)
MEMBERS = ["ada", "bob"]


def test_the_load_counts_open_assigned_tickets_of_the_project(
        store: SqlStateStore, make_ticket: TicketFactory, t0: datetime) -> None:
    """Each member's open tickets in the project, nothing else: not a closed ticket, not an
    unassigned one, not another project's, not a person outside the role."""
    store.commit(Transaction(tickets=[
        make_ticket(1, assignee="ada"), make_ticket(2, assignee="ada"),
        make_ticket(3, assignee="bob"), make_ticket(4, assignee="bob", open=False),
        make_ticket(5), make_ticket(6, assignee="cy"),
        make_ticket(7, assignee="bob", project="OPS", key="OPS-7"),
    ]))  # fmt: skip
    assert store.load_as_of("SUP", MEMBERS, t0 + HOUR) == {"ada": 2, "bob": 1}
    assert store.load_as_of("NONE", MEMBERS, t0 + HOUR) == {}


def test_the_load_is_as_it_was_just_before_the_instant(
        store: SqlStateStore, make_ticket: TicketFactory, t0: datetime) -> None:
    """Handovers and closings are dated on the tracker's clock: as of an instant, a ticket
    handed over or closed later still counts for its holder then, one handed over earlier
    for the new holder, and a change at the very instant is not seen yet (a lagging feed
    would not show it either)."""
    store.commit(Transaction(tickets=[make_ticket(1, assignee="ada", status_since=t0),
                                      make_ticket(2, assignee="ada", status_since=t0)]))
    store.commit(Transaction(tickets=[  # Ada hands 1 to Bob at t0+2h; 2 is done at t0+3h
        make_ticket(1, assignee="bob", status_since=t0, updated=t0 + 2 * HOUR),
        make_ticket(2, assignee="ada", status="Done", open=False, status_since=t0 + 3 * HOUR,
                    updated=t0 + 3 * HOUR),
    ]))  # fmt: skip
    assert store.load_as_of("SUP", MEMBERS, t0 + HOUR) == {"ada": 2}
    assert store.load_as_of("SUP", MEMBERS, t0 + 2 * HOUR) == {"ada": 2}
    assert store.load_as_of("SUP", MEMBERS, t0 + 2 * HOUR + HOUR / 2) == {"ada": 1, "bob": 1}
    assert store.load_as_of("SUP", MEMBERS, t0 + 4 * HOUR) == {"bob": 1}


def test_a_pick_counts_from_when_it_fell_due_not_from_when_the_write_shows(
        store: SqlStateStore, make_ticket: TicketFactory, make_effect: Callable[..., object],
        t0: datetime) -> None:
    """A pick recorded for an escalation due at t0+1h counts for its person from then (at
    that very instant too: picks of one instant count in the order they were made), though
    the cycle ran and the tracker showed the write only at t0+3h; the mirror's later copy
    of the ticket does not move it."""
    store.commit(Transaction(tickets=[make_ticket(1, status="Reviewing", status_since=t0)],
                             effects=[make_effect("SUP-1", 1, t0)]))  # type: ignore[list-item]
    (effect,) = store.effects_for("SUP-1")
    due = t0 + HOUR
    store.record_decision(effect.effect_key, Decision(assignee="bob"),
                          Pick("10001", "SUP", "bob", due))
    assert store.load_as_of("SUP", MEMBERS, due - timedelta(microseconds=1)) == {}
    assert store.load_as_of("SUP", MEMBERS, due) == {"bob": 1}
    written = t0 + 3 * HOUR
    store.commit(Transaction(tickets=[make_ticket(1, status="Assigned", assignee="bob",
                                                  status_since=written, updated=written)]))
    assert store.load_as_of("SUP", MEMBERS, t0 + 2 * HOUR) == {"bob": 1}
