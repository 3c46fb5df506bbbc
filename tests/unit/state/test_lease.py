"""The leader lease: one holder at a time, an expiry, a fencing token that grows with each new
holder, and a fence that refuses a former leader's writes in the writing transaction; on a
SQLite file and in a PostgreSQL schema alike."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from connector.clock import SettableClock
from connector.errors import LeaseLostError
from connector.state.base import Bookmark, Effect, OutboxMessage, Transaction
from connector.state.fence import UNFENCED, Fence, fenced_tables, pg_fenced_tables, stall_limit
from connector.state.intake import IntakeStore
from connector.state.lease import Holder, Lease, process_gone, process_key, state_id
from connector.state.sqlite import SqliteStateStore
from connector.state.store import SqlStateStore

PERIOD = timedelta(seconds=30)


def fenced(store: SqlStateStore) -> Fence:
    """A fence on the store's connection, as `run` puts one on the service's."""
    fence = Fence()
    store.fence(fence, stall_limit=stall_limit(PERIOD))
    return fence


@pytest.fixture
def clock(t0: datetime) -> SettableClock:
    """The wall clock every replica of a test shares."""
    return SettableClock(t0)


@pytest.fixture
def leases(store: SqlStateStore, state_location: str,
           clock: SettableClock) -> Iterator[Callable[[str], Lease]]:
    """Replicas' leases on the test's state, each with a connection of its own."""
    opened: list[Lease] = []

    def replica(name: str) -> Lease:
        lease = Lease(state_location, clock=clock, period=PERIOD,
                      holder=Holder(f"host-{name}", 100 + len(opened), name))
        opened.append(lease)
        return lease

    yield replica
    for lease in opened:
        lease.close()


def test_one_holder_at_a_time_until_the_lease_expires(
        leases: Callable[[str], Lease], clock: SettableClock, t0: datetime) -> None:
    """The first replica gets token 1; a second is refused while the lease runs, and takes it,
    with the next token, once it has expired."""
    a, b = leases("a"), leases("b")
    first = a.acquire()
    assert first is not None and first.token == 1 and first.expires_at == t0 + PERIOD
    assert b.acquire() is None
    held = b.current()
    assert held is not None and held.holder.replica == "a" and str(held.holder) == "host-a pid 100"
    clock.advance(PERIOD - timedelta(microseconds=1))
    assert b.acquire() is None
    clock.advance(timedelta(microseconds=1))
    taken = b.acquire()
    assert taken is not None and taken.token == 2


def test_renewal_keeps_the_lease_and_its_token(
        leases: Callable[[str], Lease], clock: SettableClock) -> None:
    """A holder that renews within each period keeps the lease, with the same token, however
    long it runs; acquiring again while holding it is a renewal too."""
    a, b = leases("a"), leases("b")
    record = a.acquire()
    assert record is not None
    for _ in range(10):
        clock.advance(PERIOD / 3)
        a.renew(record.token)
        assert b.acquire() is None
    again = a.acquire()
    assert again is not None and again.token == record.token


def test_a_paused_holder_cannot_renew_after_a_take_over(
        leases: Callable[[str], Lease], clock: SettableClock) -> None:
    """After a pause longer than the period, another replica takes over; the old holder's
    renewal then fails with LeaseLostError naming the new holder."""
    a, b = leases("a"), leases("b")
    old = a.acquire()
    assert old is not None
    clock.advance(PERIOD * 2)
    new = b.acquire()
    assert new is not None and new.token == old.token + 1
    with pytest.raises(LeaseLostError, match=r"host-b pid 101 holds it \(token 2\)"):
        a.renew(old.token)


def test_an_expired_lease_nobody_took_can_be_renewed(
        leases: Callable[[str], Lease], clock: SettableClock) -> None:
    """Renewal checks the token, not the clock: a late renewal of a lease nobody else took
    keeps it (nobody else can have written meanwhile)."""
    a = leases("a")
    record = a.acquire()
    assert record is not None
    clock.advance(PERIOD * 3)
    assert a.renew(record.token) == clock.now() + PERIOD


def test_release_frees_the_lease_at_once(
        leases: Callable[[str], Lease]) -> None:
    """A released lease is taken by a standby without waiting out the period."""
    a, b = leases("a"), leases("b")
    record = a.acquire()
    assert record is not None
    a.release(record.token)
    taken = b.acquire()
    assert taken is not None and taken.token == 2


def test_a_gone_holder_on_this_machine_frees_the_lease_at_once(
        store: SqlStateStore, state_location: str, clock: SettableClock) -> None:
    """A lease whose holder process has ended (seen through /proc on this machine) is taken
    without waiting for its expiry; a live holder's is not."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"],
                             stdin=subprocess.PIPE)
    key = process_key(child.pid)
    if not key:
        child.kill()
        pytest.skip("no /proc here: a gone holder is only seen through its expiry")
    dead = Lease(state_location, clock=clock, period=PERIOD,
                 holder=Holder("here", child.pid, "child", key))
    waiting = Lease(state_location, clock=clock, period=PERIOD)
    try:
        assert dead.acquire() is not None
        assert not process_gone(key)
        assert waiting.acquire() is None
        child.communicate(b"\n", timeout=30)
        assert process_gone(key)
        taken = waiting.acquire()
        assert taken is not None and taken.token == 2
    finally:
        dead.close()
        waiting.close()


def test_the_state_has_one_identity_for_all_replicas(sqlite_store: SqliteStateStore,
                                                     db_path: Path) -> None:
    """Every connection to one state reads the same id; another state has another."""
    other = SqliteStateStore(db_path.parent / "other.db")
    again = SqliteStateStore(db_path)
    try:
        assert state_id(sqlite_store.db) == state_id(again.db)
        assert len(state_id(sqlite_store.db)) == 32
        assert state_id(other.db) != state_id(sqlite_store.db)
    finally:
        other.close()
        again.close()


def _commit(store: SqlStateStore, t0: datetime, n: int) -> None:
    effect = Effect(f"SUP-1|r|{n}|0", "SUP-1", "r", "notify", str(n), created_at=t0)
    message = OutboxMessage(None, effect.effect_key, "SUP-1", "t", "p@x.edu", b"x",
                            created_at=t0)
    store.commit(Transaction(effects=[effect], outbox=[message],
                             bookmark=Bookmark("SUP", f"position {n}")))


def test_a_former_leader_cannot_commit_after_a_take_over(
        store: SqlStateStore, leases: Callable[[str], Lease], clock: SettableClock,
        t0: datetime) -> None:
    """With the fence on its connection, the leader commits while its token is the lease's;
    once another replica took over, the same commit fails with LeaseLostError and writes
    nothing: not the effect, not the outbox row, not the bookmark."""
    a, b = leases("a"), leases("b")
    fence = fenced(store)
    record = a.acquire()
    assert record is not None
    fence.hold(record.token)
    _commit(store, t0, 1)
    clock.advance(PERIOD)
    assert b.acquire() is not None
    with pytest.raises(LeaseLostError):
        _commit(store, t0, 2)
    assert store.effect("SUP-1|r|2|0") is None
    bookmark = store.bookmark("SUP")
    assert bookmark is not None and bookmark.position == "position 1"
    assert len(store.outbox(["pending"])) == 1


def test_the_fence_refuses_single_statements_and_intake_writes_too(
        store: SqlStateStore, leases: Callable[[str], Lease], t0: datetime) -> None:
    """Marks made outside `commit` (an effect's mark, a rotation, mail intake's own tables)
    are fenced as well; a replica that never held the lease can write nothing."""
    _commit(store, t0, 1)  # before the fence: an unfenced process (a CLI command) writes
    fence = fenced(store)
    with pytest.raises(LeaseLostError):
        store.mark_effect("SUP-1|r|1|0", "done", at=t0)
    with pytest.raises(LeaseLostError):
        store.next_in_rotation("tier2", 2)
    with pytest.raises(LeaseLostError):
        IntakeStore(store.db).reset_folder("INBOX", 7)
    with pytest.raises(LeaseLostError):
        store.suppress("x@y.z", reason="bounce", until=t0, at=t0)
    record = leases("a").acquire()
    assert record is not None
    fence.hold(record.token)
    store.mark_effect("SUP-1|r|1|0", "done", at=t0)
    effect = store.effect("SUP-1|r|1|0")
    assert effect is not None and effect.status == "done"


def test_a_former_leader_may_still_record_a_message_as_sent(
        store: SqlStateStore, leases: Callable[[str], Lease], clock: SettableClock,
        t0: datetime) -> None:
    """That a mail server accepted a message is a fact: recording it after losing the lease
    prevents a second send by the new leader; any other outbox change is refused."""
    fence = fenced(store)
    a, b = leases("a"), leases("b")
    record = a.acquire()
    assert record is not None
    fence.hold(record.token)
    _commit(store, t0, 1)
    (message,) = store.outbox(["pending"])
    assert message.id is not None
    clock.advance(PERIOD)
    assert b.acquire() is not None
    with pytest.raises(LeaseLostError):
        store.retry_later(message.id, at=t0, error="421")
    store.mark_sent(message.id, at=t0)
    assert [m.status for m in store.outbox(["sent"])] == ["sent"]


def test_every_table_is_fenced_or_deliberately_not(store: SqlStateStore) -> None:
    """A table a migration adds is fenced unless named in UNFENCED (with its reason): the
    leader's effects, mail, bookmarks and mirror are all behind the fence (SQLite: on the
    fenced connection; PostgreSQL: in the schema, since the migrations)."""
    fenced(store)
    if isinstance(store, SqliteStateStore):
        tables = {name for (name,) in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        guarded = fenced_tables(store.connection)
    else:
        tables = {name for (name,) in store.db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        guarded = pg_fenced_tables(store.db)
    assert guarded == tables - UNFENCED
    assert {"ledger", "outbox", "bookmarks", "tickets", "processed_changes", "message_ids",
            "mail_intake", "mail_uids"} <= guarded
