"""The fence on PostgreSQL, between real sessions: a take-over waits for the former leader's
fenced transaction in flight and refuses the ones that come after; renewals never wait for a
fenced transaction; a paused leader's open transaction is ended by the server, or by the
take-over when it was paused halfway through a pipelined write; connections that carry no token
(CLI commands) write as before."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import psycopg
import pytest

from connector.clock import SettableClock
from connector.errors import LeaseLostError, RetriableError
from connector.state.base import Bookmark, Transaction
from connector.state.fence import THIS_REPLICA, Fence, stall_limit
from connector.state.lease import Holder, Lease, LeaseRecord
from connector.state.location import open_state
from connector.state.store import SqlStateStore

PERIOD = timedelta(seconds=30)
_RECORD = "INSERT INTO processed_changes (change_id, issue_id, processed_at) VALUES (?, '1', '')"


@pytest.fixture
def clock(t0: datetime) -> SettableClock:
    """The wall clock every replica of a test shares."""
    return SettableClock(t0)


@pytest.fixture
def opened(postgres_url: str) -> Iterator[list[SqlStateStore | Lease]]:
    """What a test opens, closed after it."""
    things: list[SqlStateStore | Lease] = []
    yield things
    for thing in reversed(things):
        thing.close()


@pytest.fixture
def lease(postgres_url: str, clock: SettableClock,
          opened: list[SqlStateStore | Lease]) -> Callable[[str], Lease]:
    """A replica's lease on the test's schema, on a session of its own."""
    opened.append(open_state(postgres_url))  # migrated, fence triggers included

    def replica(name: str) -> Lease:
        made = Lease(postgres_url, clock=clock, period=PERIOD,
                     holder=Holder(f"host-{name}", 100 + len(opened), name))
        opened.append(made)
        return made

    return replica


def leader_store(postgres_url: str, record: LeaseRecord, opened: list[SqlStateStore | Lease],
                 limit: timedelta | None = None) -> SqlStateStore:
    """The leader's service connection, fenced with the token of `record`."""
    store = open_state(postgres_url)
    opened.append(store)
    fence = Fence()
    fence.hold(record.token)
    store.fence(fence, stall_limit=limit or stall_limit(PERIOD))
    return store


def recorded(postgres_url: str) -> set[str]:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        return {row[0] for row in admin.execute("SELECT change_id FROM processed_changes")}


def wait_for_lock_wait(postgres_url: str, pid: int) -> None:
    """Until the session `pid` waits for a lock (asked of the server, not timed)."""
    deadline = time.monotonic() + 10
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        while time.monotonic() < deadline:
            row = admin.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                                (pid,)).fetchone()
            if row is not None and row[0] == "Lock":
                return
            time.sleep(0.01)
    raise AssertionError(f"session {pid} never waited for a lock")


def activity(postgres_url: str, pid: int) -> tuple[str, str] | None:
    """The session `pid`'s state and what it waits for, as the server says (None: ended)."""
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        row = admin.execute("SELECT state, wait_event FROM pg_stat_activity WHERE pid = %s",
                            (pid,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def write_paused_halfway(store: SqlStateStore, postgres_url: str, pid: int, *,
                         then: Callable[[], None]) -> None:
    """A fenced write sent in a transaction's pipeline with no Sync after it, as a process
    stopped in the middle of executemany leaves it; `then` runs while the server waits."""
    with store.db.transaction():
        raw = store.db._conn  # type: ignore[attr-defined]
        with raw.pipeline():
            raw.execute(_RECORD.replace("?", "%s"), ("paused",))
            deadline = time.monotonic() + 10
            while activity(postgres_url, pid) != ("active", "ClientRead"):
                assert time.monotonic() < deadline, activity(postgres_url, pid)
                time.sleep(0.01)
            then()


def backend(lease: Lease) -> int:
    (pid,) = lease._db.execute("SELECT pg_backend_pid()").fetchone()
    return int(pid)


def test_a_take_over_waits_for_the_fenced_transaction_in_flight(
        lease: Callable[[str], Lease], postgres_url: str, clock: SettableClock,
        opened: list[SqlStateStore | Lease]) -> None:
    """The standby's take-over of an expired lease waits while the leader's transaction that
    already passed the fence is open (the leader may still finish and commit it, as it began
    under its token); the take-over then gets the next token, and the former leader's next
    write is refused: their writes never overlap."""
    a, b = lease("a"), lease("b")
    record = a.acquire()
    assert record is not None
    store = leader_store(postgres_url, record, opened)
    taken: list[LeaseRecord | None] = []
    with store.db.transaction():
        store.db.execute(_RECORD, ("before",))
        clock.advance(PERIOD)  # the leader stalls past its lease
        standby = threading.Thread(target=lambda: taken.append(b.acquire()))
        standby.start()
        wait_for_lock_wait(postgres_url, backend(b))
        assert taken == []  # still waiting: the in-flight transaction goes on
        store.db.execute(_RECORD, ("during",))
    standby.join(10)
    assert taken and taken[0] is not None and taken[0].token == record.token + 1
    with pytest.raises(LeaseLostError):
        store.db.execute(_RECORD, ("after",))
    assert recorded(postgres_url) == {"before", "during"}


def test_a_former_leaders_transaction_begun_before_the_take_over_cannot_commit(
        lease: Callable[[str], Lease], postgres_url: str, clock: SettableClock,
        opened: list[SqlStateStore | Lease]) -> None:
    """A leader paused inside a transaction after reading (its snapshot is older than the
    take-over) but before writing: once it wakes, its write is refused (the lease row it must
    lock changed its token under its snapshot: a serialization failure, retriable; the retry
    reads the new token and is refused with LeaseLostError) and nothing of it lands."""
    a, b = lease("a"), lease("b")
    record = a.acquire()
    assert record is not None
    store = leader_store(postgres_url, record, opened)

    def paused_before_writing() -> None:
        with store.db.transaction():
            store.db.execute("SELECT count(*) FROM processed_changes").fetchone()
            clock.advance(PERIOD)
            assert b.acquire() is not None  # no write yet: nothing to wait for
            store.db.execute(_RECORD, ("stale",))

    with pytest.raises(RetriableError, match="could not serialize"):
        paused_before_writing()
    with pytest.raises(LeaseLostError):
        store.commit(Transaction(bookmark=Bookmark("SUP", "retried")))
    assert recorded(postgres_url) == set()


def test_renewals_do_not_wait_for_a_long_fenced_transaction(
        lease: Callable[[str], Lease], postgres_url: str, clock: SettableClock,
        opened: list[SqlStateStore | Lease]) -> None:
    """The leader renews its lease while its own fenced transaction holds the lease row (a
    renewal changes no key: it would otherwise wait out the lock timeout and fail), and the
    transaction writes on and commits after the renewal."""
    a = lease("a")
    record = a.acquire()
    assert record is not None
    store = leader_store(postgres_url, record, opened)
    with store.db.transaction():
        store.db.execute(_RECORD, ("first",))
        for _ in range(3):
            clock.advance(PERIOD / 3)
            assert a.renew(record.token) == clock.now() + PERIOD
        store.db.execute(_RECORD, ("second",))
    assert recorded(postgres_url) == {"first", "second"}


def test_a_paused_leaders_open_transaction_is_ended_by_the_server(
        lease: Callable[[str], Lease], postgres_url: str, clock: SettableClock,
        opened: list[SqlStateStore | Lease]) -> None:
    """A leader stopped inside a fenced transaction would hold the lease row forever; the
    server ends its session once it idles past the stall limit, the waiting take-over goes
    through, and the transaction's write is lost with its session."""
    a, b = lease("a"), lease("b")
    record = a.acquire()
    assert record is not None
    store = leader_store(postgres_url, record, opened, limit=timedelta(milliseconds=300))
    taken: list[LeaseRecord | None] = []

    def paused_while_writing() -> None:
        with store.db.transaction():
            store.db.execute(_RECORD, ("paused",))
            clock.advance(PERIOD)
            taken.append(b.acquire())  # waits until the server ends the idle session

    with pytest.raises(RetriableError, match="idle-in-transaction timeout"):
        paused_while_writing()
    assert taken[0] is not None and taken[0].token == record.token + 1
    assert recorded(postgres_url) == set()
    # The session opened anew is fenced as the lost one was: same token, same stall limit.
    setting = store.db.execute("SELECT current_setting('ticketflow.fence_token'), "
                               "current_setting('idle_in_transaction_session_timeout')")
    assert setting.fetchone() == (str(record.token), "300ms")
    with pytest.raises(LeaseLostError):
        store.db.execute(_RECORD, ("after waking",))


def test_connections_without_a_token_write_beside_a_leader(
        lease: Callable[[str], Lease], postgres_url: str,
        opened: list[SqlStateStore | Lease]) -> None:
    """CLI commands (outbox requeue, mail release, migrations) open the state without a
    fence: they write while a replica leads. A fenced connection of a standby (no token)
    is refused."""
    leader = lease("a").acquire()
    assert leader is not None
    cli = open_state(postgres_url)
    opened.append(cli)
    cli.db.execute(_RECORD, ("by the CLI",))
    standby = open_state(postgres_url)
    opened.append(standby)
    standby.fence(Fence(), stall_limit=stall_limit(PERIOD))
    with pytest.raises(LeaseLostError):
        standby.db.execute(_RECORD, ("by a standby",))
    assert recorded(postgres_url) == {"by the CLI"}


def test_a_renewal_paused_halfway_does_not_hold_up_a_take_over(
        postgres_url: str, clock: SettableClock, opened: list[SqlStateStore | Lease]) -> None:
    """The lease's own session is ended too when its transaction idles past half a period (a
    leader stopped in the middle of a renewal, holding the lease row): the standby's take-over
    goes through instead of waiting for a process that may never wake."""
    opened.append(open_state(postgres_url))
    period = timedelta(milliseconds=600)
    a = Lease(postgres_url, clock=clock, period=period, holder=Holder("host-a", 1, "a"))
    b = Lease(postgres_url, clock=clock, period=period, holder=Holder("host-b", 2, "b"))
    opened += [a, b]
    record = a.acquire()
    assert record is not None
    taken: list[LeaseRecord | None] = []

    def paused_while_renewing() -> None:
        with a._db.transaction():
            a._db.execute("UPDATE leases SET renewed_at = renewed_at WHERE name = 'service'")
            clock.advance(period * 2)
            taken.append(b.acquire())  # waits until the server ends the idle session

    with pytest.raises(RetriableError, match="idle-in-transaction timeout"):
        paused_while_renewing()
    assert taken[0] is not None and taken[0].token == record.token + 1


def test_a_table_a_later_migration_adds_is_fenced(postgres_url: str,
                                                  opened: list[SqlStateStore | Lease]) -> None:
    """Triggers are persistent on PostgreSQL: a table a migration after the fence's adds gets
    the fence's trigger when the migrations are applied, unless UNFENCED names it."""
    from connector.state.fence import pg_fenced_tables
    from connector.state.migrations import MIGRATIONS, Migration, apply_migrations

    store = open_state(postgres_url)
    opened.append(store)
    later = Migration("9001_later", "CREATE TABLE later_things (id TEXT PRIMARY KEY);")
    assert apply_migrations(store.db, migrations=[*MIGRATIONS, later]) == ["9001_later"]
    assert "later_things" in pg_fenced_tables(store.db)
    assert "leases" not in pg_fenced_tables(store.db)


def test_a_leader_paused_halfway_through_a_pipelined_write_is_ended_by_the_take_over(
        postgres_url: str, clock: SettableClock, opened: list[SqlStateStore | Lease]) -> None:
    """A leader stopped in the middle of a pipelined write (executemany) leaves its session
    "active", waiting for the rest of the pipeline with the lease row locked: the server's
    idle timeout never ends it. The standby's take-over waits half a period for the lock, then
    ends the former leader's sessions in a transaction and leads with the next token; the
    paused write never lands."""
    period = timedelta(seconds=2)  # the lease connection's lock wait: 1 s of the server's time
    opened.append(open_state(postgres_url))
    a = Lease(postgres_url, clock=clock, period=period, holder=Holder("here", 1, THIS_REPLICA))
    b = Lease(postgres_url, clock=clock, period=period, holder=Holder("there", 2, "b"))
    opened.extend([a, b])
    record = a.acquire()
    assert record is not None
    store = leader_store(postgres_url, record, opened, limit=stall_limit(period))
    (pid,) = store.db.execute("SELECT pg_backend_pid()").fetchone()
    taken: list[LeaseRecord | None] = []

    def paused_past_the_lease() -> None:
        clock.advance(period)
        taken.append(b.acquire())

    with pytest.raises(RetriableError):  # the leader's session was ended under it
        write_paused_halfway(store, postgres_url, pid, then=paused_past_the_lease)
    assert taken[0] is not None and taken[0].token == record.token + 1
    assert activity(postgres_url, pid) is None
    assert recorded(postgres_url) == set()
    with pytest.raises(LeaseLostError):
        a.renew(record.token)


def test_every_session_of_the_service_names_the_replica_its_lease_holds_by(
        postgres_url: str, opened: list[SqlStateStore | Lease]) -> None:
    """The replica id the lease records for this process is the one its sessions carry in
    their application name: what a take-over looks for to end a paused leader's sessions."""
    store = open_state(postgres_url)
    opened.append(store)
    (name,) = store.db.execute("SELECT current_setting('application_name')").fetchone()
    assert Holder.this_process().replica == THIS_REPLICA
    assert name.startswith(f"ticketflow {THIS_REPLICA} pid ")
