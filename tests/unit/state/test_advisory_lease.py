"""The leader lease on a PostgreSQL state: the state's advisory lock, one holder at a time,
handed over when the holder stops or its session ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import psycopg
import pytest

from connector.clock import SettableClock
from connector.errors import LeaseLostError
from connector.state.advisory_lease import AdvisoryLease
from connector.state.location import open_state
from connector.state.postgres import PostgresStateStore

PERIOD = timedelta(seconds=30)


@pytest.fixture
def leases(postgres_url: str, t0: datetime) -> Iterator[Callable[[], AdvisoryLease]]:
    """Replicas' leases on one migrated PostgreSQL state, each on a session of its own."""
    open_state(postgres_url).close()
    opened: list[AdvisoryLease] = []

    def replica() -> AdvisoryLease:
        opened.append(AdvisoryLease(postgres_url, clock=SettableClock(t0), period=PERIOD))
        return opened[-1]

    yield replica
    for lease in opened:
        lease.close()


def test_one_leader_at_a_time_and_a_standby_takes_over_after_a_release(
        leases: Callable[[], AdvisoryLease]) -> None:
    """The first replica leads; a second is refused and sees who leads (the holder's
    application name); once the first releases, the second leads."""
    first, second = leases(), leases()
    assert first.acquire() is not None
    assert first.acquire() is not None  # asking again while leading keeps the lease
    assert second.acquire() is None
    seen = second.current()
    assert seen is not None and "ticketflow pid" in str(seen.holder)
    first.release(1)
    assert second.acquire() is not None
    assert first.acquire() is None


def test_a_leader_whose_session_ends_is_told_at_its_renewal(
        leases: Callable[[], AdvisoryLease], postgres_url: str) -> None:
    """The server drops the lock with the holder's session (a cut connection, a restart):
    a standby takes it, and the former leader's next renewal raises LeaseLostError."""
    first, second = leases(), leases()
    assert first.acquire() is not None
    first.renew(1)  # still ours
    (pid,) = first._db.execute("SELECT pg_backend_pid()").fetchone()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        # With a timeout, the call returns once the session has ended (PostgreSQL 14+).
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    assert second.acquire() is not None
    with pytest.raises(LeaseLostError):
        first.renew(1)


def test_a_state_migration_waits_for_no_leader_on_postgres(
        leases: Callable[[], AdvisoryLease], postgres_url: str) -> None:
    """The lease is the instance lock `state migrate` takes: refused beside a leader."""
    leader = leases()
    assert leader.acquire() is not None
    store = open_state(postgres_url)
    assert isinstance(store, PostgresStateStore)
    try:
        with pytest.raises(Exception, match="already working on state"), store.lock():
            pass
    finally:
        store.close()


def test_run_and_once_lead_by_the_advisory_lock_on_postgres(
        postgres_url: str, t0: datetime) -> None:
    """`replica_leader` on a PostgreSQL state: the first process leads, a second stands by
    (no SQLite lease file is opened at the URL), and leads once the first releases."""
    from connector.app import replica_leader
    from connector.settings import Settings
    from connector.state.fence import Fence

    open_state(postgres_url).close()
    settings = Settings(state_db=postgres_url, _env_file=None)  # type: ignore[call-arg]
    first = replica_leader(settings, Fence(), clock=SettableClock(t0))
    second = replica_leader(settings, Fence(), clock=SettableClock(t0))
    try:
        assert first.try_lead(at_once=True)
        assert not second.try_lead(at_once=True)
        assert second.status().role == "standby"
        first.release()
        assert second.try_lead(at_once=True)
    finally:
        first.lease.close()
        second.lease.close()
