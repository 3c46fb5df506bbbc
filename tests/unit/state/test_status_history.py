"""The status history: each stay of a ticket in a status (at a tier), written with the mirror."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from connector.domain import Ticket
from connector.errors import FatalError
from connector.state.base import Transaction
from connector.state.history import Stay, StayEntry, moves
from connector.state.migrations import MIGRATIONS, apply_migrations
from connector.state.sqlite import SqliteStateStore, connect
from connector.state.store import SqlStateStore

TicketFactory = Callable[..., Ticket]
HOUR = timedelta(hours=1)


def _history(store: SqlStateStore) -> list[tuple[object, ...]]:
    return [tuple(row) for row in store.db.execute(
        "SELECT issue_key, from_status, to_status, tier, entered_at, left_at "
        "FROM status_history ORDER BY id").fetchall()]


def _refuse_ticket_updates(store: SqlStateStore) -> None:
    """A trigger that fails every update of a ticket, in the store's own dialect."""
    if store.db.dialect == "sqlite":
        store.db.execute("CREATE TRIGGER refuse BEFORE UPDATE ON tickets "
                         "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        return
    store.db.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                     "'BEGIN RAISE EXCEPTION ''refused''; END'")
    store.db.execute("CREATE TRIGGER refuse BEFORE UPDATE ON tickets FOR EACH ROW "
                     "EXECUTE FUNCTION refuse()")


def _text(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def test_a_new_ticket_opens_its_first_stay(make_ticket: TicketFactory, t0: datetime) -> None:
    """A ticket the store has never held starts a stay with no previous status, entered when
    it entered its status."""
    ticket = make_ticket(1, status="Pending", status_since=t0, tier=None)
    writes = moves({}, [ticket])
    assert writes.closed == []
    assert writes.entered == [StayEntry("10001", "SUP-1", "SUP", None, "Pending", None, t0)]


def test_a_status_change_closes_the_stay_and_opens_the_next(make_ticket: TicketFactory,
                                                            t0: datetime) -> None:
    """Moving Pending -> Reviewing ends the stored stay when Reviewing began and opens a stay
    in Reviewing from Pending at the same instant."""
    stay = Stay(7, "Pending", 1, t0)
    moved = make_ticket(1, status="Reviewing", status_since=t0 + HOUR, tier=1,
                        updated=t0 + 2 * HOUR)
    writes = moves({"10001": stay}, [moved])
    assert writes.closed == [(7, t0 + HOUR)]
    assert writes.entered == [StayEntry("10001", "SUP-1", "SUP", "Pending", "Reviewing", 1,
                                        t0 + HOUR)]


def test_the_same_status_and_tier_writes_nothing(make_ticket: TicketFactory,
                                                 t0: datetime) -> None:
    """A poll that sees the ticket again unchanged (a comment, a summary edit) is no move."""
    ticket = make_ticket(1, status="Reviewing", tier=2, updated=t0 + 5 * HOUR)
    writes = moves({"10001": Stay(3, "Reviewing", 2, t0)}, [ticket])
    assert (writes.closed, writes.entered) == ([], [])


def test_a_tier_change_alone_is_a_new_stay_dated_by_the_update(make_ticket: TicketFactory,
                                                                t0: datetime) -> None:
    """Escalating again (Assigned -> Assigned, tier 2 -> 3) keeps the status but starts a new
    stay at the new tier, dated by the ticket's update since the status did not move."""
    stay = Stay(4, "Assigned", 2, t0)
    ticket = make_ticket(1, status="Assigned", status_since=t0, tier=3, updated=t0 + 3 * HOUR)
    writes = moves({"10001": stay}, [ticket])
    assert writes.closed == [(4, t0 + 3 * HOUR)]
    assert writes.entered[0].from_status == "Assigned"
    assert (writes.entered[0].tier, writes.entered[0].entered_at) == (3, t0 + 3 * HOUR)


def test_a_status_since_before_the_stay_began_falls_back_to_the_update(
        make_ticket: TicketFactory, t0: datetime) -> None:
    """Without a changelog the mirror dates a new status by the ticket's creation; the stay
    must not end before it began, so the ticket's update dates the move."""
    stay = Stay(1, "Pending", None, t0 + HOUR)
    ticket = make_ticket(1, status="Reviewing", status_since=t0, updated=t0 + 4 * HOUR)
    writes = moves({"10001": stay}, [ticket])
    assert writes.closed == [(1, t0 + 4 * HOUR)]


def test_two_moves_in_one_batch_chain_their_stays(make_ticket: TicketFactory,
                                                  t0: datetime) -> None:
    """A batch that carries a new ticket twice (Pending, then Reviewing) inserts the Pending
    stay already ended and the Reviewing stay open."""
    first = make_ticket(1, status="Pending", status_since=t0)
    second = replace(first, status="Reviewing", status_since=t0 + HOUR, updated=t0 + HOUR)
    writes = moves({}, [first, second])
    assert writes.closed == []
    assert [(e.from_status, e.to_status, e.entered_at, e.left_at) for e in writes.entered] == [
        (None, "Pending", t0, t0 + HOUR), ("Pending", "Reviewing", t0 + HOUR, None)]


def test_the_store_writes_the_history_as_the_mirror_moves(
        store: SqlStateStore, make_ticket: TicketFactory, t0: datetime) -> None:
    """Commits that move a ticket Pending -> Reviewing -> Assigned (tier 2) leave three
    stays, each ended when the next began; an unchanged commit adds none."""
    ticket = make_ticket(1, status="Pending", status_since=t0, tier=None)
    store.commit(Transaction(tickets=[ticket]))
    store.commit(Transaction(tickets=[replace(ticket, summary="edited")]))
    store.commit(Transaction(tickets=[replace(ticket, status="Reviewing",
                                              status_since=t0 + HOUR)]))
    store.commit(Transaction(tickets=[replace(ticket, status="Assigned", tier=2,
                                              status_since=t0 + 3 * HOUR)]))
    assert _history(store) == [
        ("SUP-1", None, "Pending", None, _text(t0), _text(t0 + HOUR)),
        ("SUP-1", "Pending", "Reviewing", None, _text(t0 + HOUR), _text(t0 + 3 * HOUR)),
        ("SUP-1", "Reviewing", "Assigned", 2, _text(t0 + 3 * HOUR), None),
    ]


def test_a_failed_commit_writes_no_history(store: SqlStateStore, make_ticket: TicketFactory,
                                           t0: datetime) -> None:
    """The history is written in the ticket's transaction: when the transaction fails, the
    ticket and its stay are both left as they were."""
    ticket = make_ticket(1, status="Pending", status_since=t0)
    store.commit(Transaction(tickets=[ticket]))
    moved = replace(ticket, status="Reviewing", status_since=t0 + HOUR)
    _refuse_ticket_updates(store)
    with pytest.raises(FatalError):
        store.commit(Transaction(tickets=[moved]))
    assert _history(store) == [("SUP-1", None, "Pending", None, _text(t0), None)]
    assert store.ticket("10001") == ticket


def test_the_migration_starts_the_history_of_tickets_already_mirrored(
        db_path: Path, make_ticket: TicketFactory, t0: datetime) -> None:
    """A state file from before 0011 gets one open stay per mirrored ticket (its current
    status since it entered it) and remembers, on the tracker's clock, since when the
    history is kept: the latest update the mirror held."""
    db_path.parent.mkdir()
    before = [m for m in MIGRATIONS if m.name < "0011"]
    with closing(connect(str(db_path))) as raw:
        apply_migrations(raw, migrations=before)
        raw.executemany(
            "INSERT INTO tickets (issue_id, key, project, status, status_since, created, "
            "updated, tier) VALUES (?, ?, 'SUP', ?, ?, ?, ?, ?)",
            [("1", "SUP-1", "Reviewing", _text(t0 + HOUR), _text(t0), _text(t0 + 2 * HOUR), 1),
             ("2", "SUP-2", "Complete", _text(t0 + 5 * HOUR), _text(t0), _text(t0 + 5 * HOUR),
              None)])
    store = SqliteStateStore(db_path)
    try:
        assert _origin(store) == [(_text(t0 + 5 * HOUR),)]
        assert _history(store) == [
            ("SUP-1", None, "Reviewing", 1, _text(t0 + HOUR), None),
            ("SUP-2", None, "Complete", None, _text(t0 + 5 * HOUR), None),
        ]
    finally:
        store.close()


def _origin(store: SqlStateStore) -> list[tuple[object, ...]]:
    return [tuple(row) for row in store.db.execute("SELECT since FROM history_origin")]


def test_a_fresh_state_has_no_history_start(store: SqlStateStore) -> None:
    """With no tickets mirrored before 0011, the history is whole: no start is recorded."""
    assert _origin(store) == []
