"""Every store (SQLite, PostgreSQL) keeps each record faithfully, atomically, without duplicates."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from connector.domain import Clause, Ticket
from connector.errors import FatalError, RetriableError
from connector.state.base import Bookmark, Effect, OutboxMessage, StateStore, Transaction
from connector.state.concerns import DueBasis
from connector.state.location import open_state
from connector.state.postgres import PostgresStateStore
from connector.state.rows import TICKET_COLUMNS
from connector.state.sqlite import SqliteStateStore
from connector.state.store import SqlStateStore

TicketFactory = Callable[..., Ticket]
EffectFactory = Callable[..., Effect]
MessageFactory = Callable[..., OutboxMessage]
PARIS_WINTER = timezone(timedelta(hours=1))
HOUR = timedelta(hours=1)
# What each engine says when a NOT NULL column gets none.
NOT_NULL = r"commit failed: (NOT NULL constraint failed|null value in column)"


def _is_utc(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is UTC


def test_the_store_satisfies_the_protocol(store: SqlStateStore) -> None:
    """Each store is usable wherever a StateStore is expected (checked by mypy too)."""
    typed: StateStore = store
    assert typed.count_open("SUP") == 0


def test_ticket_columns_follow_the_dataclass_fields() -> None:
    """Rows are decoded by field order, so the column list must be Ticket's fields, in order."""
    assert tuple(f.name for f in fields(Ticket)) == TICKET_COLUMNS


def test_a_ticket_round_trips_every_field(
    store: SqlStateStore, make_ticket: TicketFactory, t0: datetime
) -> None:
    """Every Ticket field comes back equal; datetimes come back aware and in UTC."""
    ticket = make_ticket(
        1, status_since=(t0 + timedelta(microseconds=7)).astimezone(PARIS_WINTER),
        text="The printer\nis on fire", assignee="acc-7", assignee_name="Ada", tier=2,
        category="hardware", customer="ACME", reporter="bob@acme.test", labels=("vip", "fire"),
        last_customer_reply=t0 + timedelta(hours=3), resolutions=2,
    )  # fmt: skip
    store.commit(Transaction(tickets=[ticket]))
    loaded = store.ticket("10001")
    assert loaded == ticket
    assert store.ticket_by_key("SUP-1") == ticket
    assert loaded is not None
    assert all(_is_utc(getattr(loaded, name)) for name in ("status_since", "created", "updated"))
    assert _is_utc(loaded.last_customer_reply)
    assert loaded.labels == ("vip", "fire")
    assert store.ticket("404") is None
    assert store.ticket_by_key("SUP-404") is None


def test_effects_outbox_bookmark_and_changes_round_trip(
    store: SqlStateStore, make_effect: EffectFactory, make_message: MessageFactory,
    t0: datetime,
) -> None:  # fmt: skip
    """Each record type of a Transaction is stored and read back with aware UTC datetimes."""
    effect = make_effect("SUP-1", 0, t0.astimezone(PARIS_WINTER), detail="planned")
    message = make_message(effect.effect_key, t0, next_attempt_at=t0 + timedelta(minutes=5))
    bookmark = Bookmark("SUP", "cursor:41", backfilled=True)
    store.commit(Transaction(processed_changes=[("c-1", "10001")], effects=[effect],
                             outbox=[message], bookmark=bookmark))  # fmt: skip
    assert store.effect(effect.effect_key) == effect
    assert store.effects_for("SUP-1") == [effect]
    assert _is_utc(store.effects_for("SUP-1")[0].created_at)
    assert store.bookmark("SUP") == bookmark
    assert store.bookmark("OTHER") is None
    assert store.seen_changes(["c-1", "c-2"]) == {"c-1"}
    [queued] = store.outbox(["pending"])
    assert queued.id is not None
    assert queued == replace(message, id=queued.id)
    assert _is_utc(queued.created_at)
    assert _is_utc(queued.next_attempt_at)


def test_a_bookmark_is_upserted(store: SqlStateStore, t0: datetime) -> None:
    """The latest bookmark for a project replaces the previous one."""
    store.commit(Transaction(bookmark=Bookmark("SUP", t0.isoformat())))
    store.commit(Transaction(bookmark=Bookmark("SUP", "cursor:42", backfilled=True)))
    assert store.bookmark("SUP") == Bookmark("SUP", "cursor:42", backfilled=True)


def test_replaying_a_transaction_changes_nothing(
    store: SqlStateStore, make_ticket: TicketFactory, make_effect: EffectFactory,
    make_message: MessageFactory, t0: datetime,
) -> None:  # fmt: skip
    """A unit of work committed twice (a crash before the bookmark moved) duplicates nothing
    and does not reset effects or messages already carried out."""
    effect = make_effect("SUP-1", 0, t0)
    transaction = Transaction(
        tickets=[make_ticket(1), make_ticket(2)], processed_changes=[("c-1", "10001")],
        effects=[effect], outbox=[make_message(effect.effect_key, t0)],
        bookmark=Bookmark("SUP", t0.isoformat()),
    )  # fmt: skip
    store.commit(transaction)
    store.mark_effect(effect.effect_key, "done", detail="sent", at=t0 + timedelta(seconds=1))
    [message] = store.outbox(["pending"])
    assert message.id is not None
    store.mark_sent(message.id, at=t0 + timedelta(seconds=2))
    store.commit(transaction)
    assert store.count_open("SUP") == 2
    assert [e.status for e in store.effects_for("SUP-1")] == ["done"]
    assert store.outbox(["pending"]) == []
    assert [m.id for m in store.outbox(["sent"])] == [message.id]
    assert store.seen_changes(["c-1"]) == {"c-1"}


def test_a_failed_commit_writes_nothing(
    store: SqlStateStore, make_ticket: TicketFactory, make_effect: EffectFactory,
    make_message: MessageFactory, t0: datetime,
) -> None:  # fmt: skip
    """When one statement fails mid-transaction (an outbox row violating NOT NULL, after the
    tickets, changes and effects were written), every write of the transaction is undone."""
    effect = make_effect("SUP-1", 0, t0)
    broken = make_message("SUP-1|other", t0, created_at=None)  # created_at is NOT NULL
    transaction = Transaction(
        tickets=[make_ticket(1)], processed_changes=[("c-1", "10001")], effects=[effect],
        outbox=[make_message(effect.effect_key, t0), broken],
        bookmark=Bookmark("SUP", t0.isoformat()),
    )  # fmt: skip
    with pytest.raises(FatalError, match=NOT_NULL):
        store.commit(transaction)
    assert store.ticket("10001") is None
    assert store.seen_changes(["c-1"]) == set()
    assert store.effect(effect.effect_key) is None
    assert store.outbox(["pending"]) == []
    assert store.bookmark("SUP") is None
    store.commit(Transaction(tickets=[make_ticket(2)]))  # no transaction was left open
    assert store.count_open("SUP") == 1


def test_a_naive_datetime_is_refused_before_writing(
    store: SqlStateStore, make_ticket: TicketFactory
) -> None:
    """Every stored instant must be timezone-aware; a naive one fails and nothing lands."""
    naive = make_ticket(1, created=datetime(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.commit(Transaction(tickets=[make_ticket(2), naive]))
    assert store.count_open("SUP") == 0


def test_seen_changes_handles_thousands_of_ids(store: SqlStateStore) -> None:
    """5,000 processed ids are found among 10,000 asked for, past SQLite's variable limit."""
    processed = [(f"c-{n}", f"{n % 50}") for n in range(0, 10_000, 2)]
    store.commit(Transaction(processed_changes=processed))
    asked = (f"c-{n}" for n in range(10_000))
    assert store.seen_changes(asked) == {change for change, _ in processed}
    assert store.seen_changes([]) == set()


def test_closed_tickets_stay_recorded_but_leave_the_open_set(
    store: SqlStateStore, make_ticket: TicketFactory
) -> None:
    """open=False and closed_issue_ids both remove a ticket from open_tickets and count_open."""
    tickets = [make_ticket(n) for n in range(1, 5)]
    store.commit(Transaction(tickets=[*tickets, make_ticket(9, project="OPS", key="OPS-9")]))
    store.commit(Transaction(tickets=[replace(tickets[0], open=False)],
                             closed_issue_ids=[tickets[1].issue_id]))  # fmt: skip
    assert [t.key for t in store.open_tickets("SUP")] == ["SUP-3", "SUP-4"]
    assert store.count_open("SUP") == 2
    assert store.count_open("OPS") == 1
    closed = store.ticket(tickets[1].issue_id)
    assert closed is not None
    assert not closed.open
    store.commit(Transaction(tickets=[replace(tickets[1], status="Reopened")]))
    assert store.count_open("SUP") == 3


def test_open_tickets_among_clauses_reads_exactly_the_tickets_a_clause_admits(
    store: SqlStateStore, make_ticket: TicketFactory
) -> None:
    """The mirror's query selects what `Clause.admits` says, on either engine: statuses,
    tiers (unset counting as tier 1) and categories, any clause sufficing; no clause, none."""
    tickets = [make_ticket(n, status=("Open", "Reviewing", "Assigned")[n % 3],
                           tier=(None, 1, 2, 3)[n % 4],
                           category=(None, "Access", "Other")[n % 5 % 3]) for n in range(60)]
    store.commit(Transaction(tickets=tickets))
    among = (Clause(statuses=frozenset({"Reviewing", "Assigned"}), tiers=frozenset({1})),
             Clause(tiers=frozenset({3}), categories=frozenset({"Other"})),
             Clause(statuses=frozenset()))
    chosen = [t.key for t in store.open_tickets("SUP", among)]
    assert chosen == [t.key for t in tickets if any(c.admits(t) for c in among)]
    assert 0 < len(chosen) < len(tickets)
    assert list(store.open_tickets("SUP", ())) == []
    assert len(list(store.open_tickets("SUP", None))) == len(tickets)


def test_a_rebuild_among_clauses_makes_the_others_due_never(
    store: SqlStateStore, make_ticket: TicketFactory, t0: datetime
) -> None:
    """Rebasing the due index with a reset marks the admitted tickets due at once and the
    rest due never (until they change): only the admitted come back as due."""
    tickets = [make_ticket(n, status=("Open", "Reviewing")[n % 2]) for n in range(10)]
    store.commit(Transaction(tickets=tickets))
    store.rebase_due("SUP", DueBasis("rules-v2", t0), reset=True,
                     among=(Clause(statuses=frozenset({"Reviewing"})),))
    assert [t.key for t in store.due_tickets("SUP", t0)] == [
        t.key for t in tickets if t.status == "Reviewing"]
    store.commit(Transaction(tickets=[replace(tickets[0], status="Reviewing")]))
    assert tickets[0].key in [t.key for t in store.due_tickets("SUP", t0)]


def test_open_tickets_streams_across_pages_while_the_caller_commits(
    store: SqlStateStore, make_ticket: TicketFactory
) -> None:
    """Tickets come one page at a time, each exactly once, and commits between them are
    safe: a ticket closed before its page is reached is not yielded."""
    store.commit(Transaction(tickets=[make_ticket(n) for n in range(5000)]))
    stream = store.open_tickets("SUP")
    first = next(stream)
    store.commit(Transaction(closed_issue_ids=[make_ticket(4999).issue_id]))
    rest = list(stream)
    ids = [first.issue_id, *(t.issue_id for t in rest)]
    assert len(ids) == len(set(ids)) == 4999
    assert ids == sorted(ids)
    assert make_ticket(4999).issue_id not in ids


def test_effects_since_counts_from_an_instant_inclusive(
    store: SqlStateStore, make_effect: EffectFactory, t0: datetime
) -> None:
    """The circuit breaker counts each issue's ledger rows created at or after the instant,
    in one query for many issues; an issue without any is left out."""
    effects = [make_effect("SUP-1", n, t0 + timedelta(hours=n)) for n in range(3)]
    store.commit(Transaction(effects=[*effects, make_effect("SUP-2", 0, t0 + timedelta(hours=2))]))
    hour = t0 + timedelta(hours=1)
    assert store.effects_since(["SUP-1", "SUP-2", "SUP-9"], hour) == {"SUP-1": 2, "SUP-2": 1}
    assert store.effects_since(["SUP-1"], hour.astimezone(PARIS_WINTER)) == {"SUP-1": 2}
    assert store.effects_since(["SUP-1"], hour + timedelta(microseconds=1)) == {"SUP-1": 1}
    assert store.effects_since([], t0) == {}


def test_recorded_names_the_effects_the_ledger_holds(
    store: SqlStateStore, make_effect: EffectFactory, t0: datetime
) -> None:
    """Of many effect keys (more than one statement binds), exactly those recorded."""
    effects = [make_effect("SUP-1", n, t0) for n in range(0, 3000, 3)]
    store.commit(Transaction(effects=effects))
    asked = [make_effect("SUP-1", n, t0).effect_key for n in range(3000)]
    assert store.recorded(asked) == {effect.effect_key for effect in effects}
    assert store.recorded([]) == set()


def test_mark_effect_records_the_outcome(
    store: SqlStateStore, make_effect: EffectFactory, t0: datetime
) -> None:
    """Marking an effect sets its status, detail and done_at; an unknown key is an error."""
    effect = make_effect("SUP-1", 0, t0)
    store.commit(Transaction(effects=[effect]))
    store.mark_effect(effect.effect_key, "failed", detail="HTTP 400", at=t0 + timedelta(minutes=1))
    assert store.effect(effect.effect_key) == replace(
        effect, status="failed", detail="HTTP 400", done_at=t0 + timedelta(minutes=1)
    )
    with pytest.raises(FatalError, match="no ledger row nope"):
        store.mark_effect("nope", "done", at=t0)


def test_marks_record_outcomes_with_the_messages_they_queued(
    store: SqlStateStore, make_effect: EffectFactory, make_message: MessageFactory,
    t0: datetime,
) -> None:  # fmt: skip
    """A mark changes how an effect ended (status, detail, done_at) in the same transaction as
    its outbox rows, and never what the effect was; pending_effects lists the rest, oldest
    first."""
    effects = [make_effect("SUP-1", n, t0 + timedelta(minutes=10 - n)) for n in range(3)]
    store.commit(Transaction(effects=effects))
    assert store.pending_effects() == sorted(effects, key=lambda e: e.created_at or t0)
    done_at = t0 + HOUR
    mark = replace(effects[0], status="done", detail="sent", done_at=done_at, rule="renamed")
    store.commit(Transaction(marks=[mark], outbox=[make_message(mark.effect_key, done_at)]))
    assert store.effect(mark.effect_key) == replace(
        effects[0], status="done", detail="sent", done_at=done_at
    )
    assert [m.effect_key for m in store.outbox(["pending"])] == [mark.effect_key]
    assert [e.effect_key for e in store.pending_effects()] == [
        effects[2].effect_key, effects[1].effect_key]  # fmt: skip


def test_a_mark_fails_with_its_transaction(
    store: SqlStateStore, make_effect: EffectFactory, make_message: MessageFactory,
    t0: datetime,
) -> None:  # fmt: skip
    """If the outbox row queued with a mark cannot be written, the mark is not kept either."""
    effect = make_effect("SUP-1", 0, t0)
    store.commit(Transaction(effects=[effect]))
    mark = replace(effect, status="done", done_at=t0)
    broken = make_message(effect.effect_key, t0, recipient=None)
    with pytest.raises(FatalError, match=rf"{NOT_NULL}.*recipient"):
        store.commit(Transaction(marks=[mark], outbox=[broken]))
    assert store.effect(effect.effect_key) == effect
    assert store.pending_effects() == [effect]


def test_rotations_take_turns_and_survive_a_restart(state_location: str) -> None:
    """Each named rotation hands out 0, 1, ... size-1 in turn, independently of the others,
    and carries on where it was after the store is reopened."""
    store = open_state(state_location)
    assert [store.next_in_rotation("role:l2", 3) for _ in range(4)] == [0, 1, 2, 0]
    assert store.next_in_rotation("role:l1", 2) == 0
    store.close()
    reopened = open_state(state_location)
    assert reopened.next_in_rotation("role:l2", 3) == 1
    with pytest.raises(ValueError, match="at least one member"):
        reopened.next_in_rotation("role:empty", 0)
    reopened.close()


def test_backup_copies_the_whole_state(
    sqlite_store: SqliteStateStore, tmp_path: Path, make_ticket: TicketFactory, t0: datetime
) -> None:
    """A SQLite file's consistent copy holds the same state, and writing to it leaves the
    original alone."""
    store = sqlite_store
    store.commit(Transaction(tickets=[make_ticket(1)], bookmark=Bookmark("SUP", t0.isoformat())))
    copy_path = tmp_path / "scratch.db"
    store.backup_to(copy_path)
    copy = SqliteStateStore(copy_path)
    assert copy.ticket("10001") == make_ticket(1)
    assert copy.bookmark("SUP") == Bookmark("SUP", t0.isoformat())
    copy.commit(Transaction(closed_issue_ids=["10001"]))
    assert (copy.count_open("SUP"), store.count_open("SUP")) == (0, 1)
    copy.close()


def test_pending_outbox_is_due_messages_oldest_first(
    store: SqlStateStore, make_message: MessageFactory, t0: datetime
) -> None:
    """Only pending messages whose backoff is over come back, oldest first, up to the limit;
    a failed attempt pushed into the future waits until its time."""
    messages = [
        make_message("e-late", t0 + timedelta(minutes=2)),
        make_message("e-early", t0),
        make_message("e-backoff", t0 - timedelta(minutes=5), next_attempt_at=t0 + HOUR),
        make_message("e-due", t0 + timedelta(minutes=1), next_attempt_at=t0),
        make_message("e-sent", t0 - timedelta(hours=1), status="sent"),
    ]  # fmt: skip
    store.commit(Transaction(outbox=messages))
    due = store.pending_outbox(t0 + timedelta(minutes=3))
    assert [m.effect_key for m in due] == ["e-early", "e-due", "e-late"]
    assert [m.effect_key for m in store.pending_outbox(t0, limit=1)] == ["e-early"]
    later = store.pending_outbox(t0 + timedelta(hours=1))
    assert [m.effect_key for m in later] == ["e-backoff", "e-early", "e-due", "e-late"]

    first = due[0]
    assert first.id is not None
    retry_at = t0 + timedelta(minutes=10)
    store.retry_later(first.id, at=retry_at, error="421 try later")
    assert "e-early" not in {m.effect_key for m in store.pending_outbox(t0 + timedelta(minutes=9))}
    [retried] = [m for m in store.pending_outbox(retry_at) if m.id == first.id]
    assert (retried.attempts, retried.last_error, retried.next_attempt_at) == (
        1, "421 try later", retry_at)  # fmt: skip


def test_outbox_lists_by_status(
    store: SqlStateStore, make_message: MessageFactory, t0: datetime
) -> None:
    """outbox(statuses) returns the messages in those statuses only; an unknown id is an error."""
    store.commit(Transaction(outbox=[make_message("e-1", t0), make_message("e-2", t0)]))
    first, _ = store.outbox(["pending"])
    assert first.id is not None
    store.mark_failed(first.id, error="550 no such user")
    assert [m.effect_key for m in store.outbox(["failed"])] == ["e-1"]
    assert [m.effect_key for m in store.outbox(["failed", "pending"])] == ["e-1", "e-2"]
    assert store.outbox(["sent", "dropped"]) == []
    assert store.outbox([]) == []
    assert store.outbox_counts() == {"failed": 1, "pending": 1}
    with pytest.raises(FatalError, match="no outbox message 999"):
        store.mark_sent(999, at=t0)


def test_outbox_operations_change_only_what_their_name_says(
    store: SqlStateStore, make_message: MessageFactory, t0: datetime
) -> None:
    """Each intent-named operation moves a message only from the states it names: a sent
    message is never requeued or dropped (so a second `outbox retry` cannot resend it), a
    dropped one is not failed by a late delivery result, and `requeue_failed` releases only
    failed ones, with fresh attempts and no waiting."""
    store.commit(Transaction(outbox=[make_message(f"e-{n}", t0) for n in range(4)]))
    a, b, c, d = (m.id or 0 for m in store.outbox(["pending"]))
    store.mark_sent(a, at=t0)
    store.retry_later(b, at=t0 + HOUR, error="451 later")
    store.mark_failed(c, error="550 no such user")
    assert store.drop(d) and not store.drop(d) and not store.drop(a)
    store.mark_failed(d, error="late result")
    assert not store.requeue(a) and not store.requeue(d)
    assert store.requeue_failed() == 1 and store.requeue_failed() == 0
    rows = {m.id: m for m in store.outbox(["pending", "failed", "sent", "dropped"])}
    assert (rows[a].status, rows[a].attempts, rows[a].sent_at) == ("sent", 1, t0)
    assert (rows[b].status, rows[b].attempts, rows[b].next_attempt_at) == (
        "pending", 1, t0 + HOUR)
    assert (rows[c].status, rows[c].attempts, rows[c].last_error) == ("pending", 0, "")
    assert (rows[d].status, rows[d].last_error) == ("dropped", "")
    assert store.requeue(b)
    assert store.outbox_message(b) is not None
    assert store.outbox_message(b).next_attempt_at is None  # type: ignore[union-attr]
    assert store.outbox_message(999) is None


def test_two_stores_on_one_state_see_each_others_commits(
    store: SqlStateStore, state_location: str, make_ticket: TicketFactory
) -> None:
    """A second connection (say `ticketflow outbox` beside the service) reads committed state."""
    reader = open_state(state_location)
    store.commit(Transaction(tickets=[make_ticket(1)]))
    assert reader.count_open("SUP") == 1
    reader.close()


def test_a_busy_database_is_a_retriable_error(db_path: Path, make_ticket: TicketFactory) -> None:
    """If another connection holds the write lock past the busy timeout, commit fails with
    RetriableError and writes nothing; once the lock is gone the same commit succeeds."""
    db_path.parent.mkdir()
    store = SqliteStateStore(db_path, busy_timeout=0.01)
    with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(RetriableError, match="commit failed: database is locked"):
            store.commit(Transaction(tickets=[make_ticket(1)]))
        other.execute("ROLLBACK")
    assert store.count_open("SUP") == 0
    store.commit(Transaction(tickets=[make_ticket(1)]))
    assert store.count_open("SUP") == 1
    store.close()


def test_a_locked_table_is_a_retriable_error_on_postgres(
    postgres_url: str, make_ticket: TicketFactory
) -> None:
    """PostgreSQL's counterpart of a busy file: while another session holds a lock the commit
    needs past the lock timeout, commit fails with RetriableError and writes nothing; once the
    lock is gone the same commit succeeds."""
    import psycopg

    store = PostgresStateStore(postgres_url, lock_timeout=0.05)
    with psycopg.connect(postgres_url) as other:
        other.execute("LOCK TABLE tickets IN EXCLUSIVE MODE")
        with pytest.raises(RetriableError, match="commit failed: canceling statement due to "
                           "lock timeout"):
            store.commit(Transaction(tickets=[make_ticket(1)]))
        other.rollback()
    assert store.count_open("SUP") == 0
    store.commit(Transaction(tickets=[make_ticket(1)]))
    assert store.count_open("SUP") == 1
    store.close()


def test_an_unreachable_server_is_a_retriable_error() -> None:
    """A PostgreSQL server that does not answer is an outage (try again later), named by its
    URL without the password."""
    url = "postgresql://ticketflow:s3cret@127.0.0.1:1/state"
    with pytest.raises(RetriableError) as raised:
        PostgresStateStore(url)
    message = str(raised.value)
    assert message.startswith("state database postgresql://ticketflow:***@127.0.0.1:1/state: "
                              "cannot connect: ")
    assert "s3cret" not in message


def test_an_in_memory_store_works(make_ticket: TicketFactory) -> None:
    """`:memory:` gives a migrated private store whose lock is a no-op."""
    store = SqliteStateStore(":memory:")
    with store.lock(), store.lock():
        store.commit(Transaction(tickets=[make_ticket(1)]))
    assert store.location == ":memory:"
    assert store.count_open("SUP") == 1
    store.close()


def test_an_unopenable_path_is_a_fatal_error(tmp_path: Path) -> None:
    """A state path in a missing folder stops start-up with the path in the message."""
    missing = tmp_path / "nowhere" / "ticketflow.db"
    with pytest.raises(FatalError, match=rf"state database {missing}: open failed"):
        SqliteStateStore(missing)


def test_message_ids_thread_to_their_first_ticket(store: SqlStateStore) -> None:
    """Recorded Message-IDs find their ticket (first known id wins); a replay cannot move one;
    a ticket lists its ids oldest first by direction."""
    store.commit(Transaction(message_ids=[("<a@x>", "HELP-1", "in"), ("<b@y>", "HELP-1", "out")]))
    store.commit(Transaction(message_ids=[("<a@x>", "HELP-9", "in"), ("<c@z>", "HELP-2", "in")]))
    assert store.issue_for_message_ids(["<nope@q>", "<c@z>", "<a@x>"]) == "HELP-2"
    assert store.issue_for_message_ids(["<a@x>"]) == "HELP-1"
    assert store.issue_for_message_ids(["<nope@q>"]) is None
    assert store.message_ids_for("HELP-1", "in") == ["<a@x>"]
    assert store.message_ids_for("HELP-1", "out") == ["<b@y>"]


def test_suppressions_expire(store: SqlStateStore) -> None:
    """A suppressed address (any case) is reported with its reason until the given time."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    store.suppress("Pat@Uni.example.edu", reason="bounced: 5.1.1 user unknown",
                   until=now + timedelta(days=60), at=now)
    assert store.suppression("pat@uni.example.edu", now) == "bounced: 5.1.1 user unknown"
    assert store.suppression("pat@uni.example.edu", now + timedelta(days=61)) is None
    assert store.suppression("someone@else.example", now) is None
