"""Replicas under the lease: one leads and works, the others stand by and say so; a standby
takes over when the leader's lease runs out; a former leader's work in hand is fenced off and it
stands by; `once` is refused while a replica leads. On a SQLite file and a PostgreSQL schema."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connector import metrics
from connector.clock import SettableClock
from connector.errors import LeaseLostError
from connector.state.base import Bookmark, Transaction
from connector.state.fence import Fence, stall_limit
from connector.state.lease import Holder, Lease
from connector.state.location import open_state
from connector.state.store import SqlStateStore
from connector.sync.leader import Leader, leading_once
from connector.sync.loop import Health, Intervals, ServiceLoop

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)
PERIOD = timedelta(seconds=30)


@pytest.fixture
def clock() -> SettableClock:
    """The wall clock the replicas share."""
    return SettableClock(NOW)


@pytest.fixture
def replicas(state_location: str,
             clock: SettableClock) -> Iterator[Callable[[str], Leader]]:
    """Replicas of one state (a file, or a PostgreSQL schema): each a store fenced by its own
    Leader."""
    opened: list[tuple[SqlStateStore, Lease]] = []

    def replica(name: str) -> Leader:
        store = open_state(state_location)
        fence = Fence()
        store.fence(fence, stall_limit=stall_limit(PERIOD))
        lease = Lease(state_location, clock=clock, period=PERIOD,
                      holder=Holder(f"host-{name}", 10 + len(opened), name))
        opened.append((store, lease))
        leader = Leader(lease, fence)
        leader.store = store  # type: ignore[attr-defined]
        return leader

    yield replica
    for store, lease in opened:
        lease.close()
        store.close()


def _write(leader: Leader, minute: int) -> None:
    store: SqlStateStore = leader.store  # type: ignore[attr-defined]
    store.commit(Transaction(bookmark=Bookmark("HELP", NOW + timedelta(minutes=minute))))


def test_one_leads_the_others_stand_by_and_take_over_when_it_goes_quiet(
        replicas: Callable[[str], Leader], clock: SettableClock,
        caplog: pytest.LogCaptureFixture) -> None:
    """A leads and may write; B stands by, may not write, and names A with its lease's expiry.
    When A stops renewing, B takes over at its first try after the expiry (within a third of
    a period), logs the take-over naming A, and A's next write and renewal are refused."""
    caplog.set_level(logging.INFO)
    a, b = replicas("a"), replicas("b")
    assert a.try_lead() and metrics.REGISTRY.get_sample_value("ticketflow_leader") == 1
    assert not b.try_lead() and metrics.REGISTRY.get_sample_value("ticketflow_leader") == 0
    _write(a, 1)
    with pytest.raises(LeaseLostError):
        _write(b, 2)
    standby = b.status()
    assert standby.role == "standby"
    assert standby.describe() == ("standby: host-a pid 10 leads (lease token 1, until "
                                  "2026-12-01T15:00:30+00:00)")
    assert a.status().describe() == "leader (lease token 1, until 2026-12-01T15:00:30+00:00)"
    clock.advance(PERIOD / 3)
    a.renew()  # A renews at a third: its lease now runs to 15:00:40
    assert not b.try_lead()
    clock.advance(PERIOD)  # A went quiet (paused) right after that renewal
    assert not a.active  # by its own clock, A starts no more work
    assert b.try_lead()
    assert b.status().token == 2
    assert "leading: took the lease on state" in caplog.text
    assert "from host-a pid 10 (token 2" in caplog.text
    with pytest.raises(LeaseLostError):
        _write(a, 3)
    a.renew()
    assert a.fence.token is None and a.status().role == "standby"
    assert "standing by: lost the lease" in caplog.text
    _write(b, 4)


def test_a_standby_tries_the_lease_once_every_third_of_a_period(
        replicas: Callable[[str], Leader], clock: SettableClock) -> None:
    """Between tries a standby does not even ask the database: freed at once, the lease is
    still only taken at the standby's next try."""
    a, b = replicas("a"), replicas("b")
    assert a.try_lead()
    assert not b.try_lead()
    a.release()
    assert not b.try_lead()  # asked too soon after its last try
    clock.advance(PERIOD / 3)
    assert b.try_lead()


def test_a_standby_tries_again_when_the_lease_it_saw_runs_out(
        replicas: Callable[[str], Leader], clock: SettableClock) -> None:
    """A standby that saw the leader's lease run out sooner than its next regular try comes
    back at the expiry, not up to a third of a period after it: a paused leader is replaced
    that much sooner."""
    a, b = replicas("a"), replicas("b")
    assert a.try_lead()  # until 15:00:30
    clock.advance(timedelta(seconds=25))
    assert not b.try_lead()
    assert b.seconds_to_next_try() == 5.0  # not 10: a third of the period
    clock.advance(timedelta(seconds=5))  # A paused and never renewed
    assert b.try_lead()


def test_once_is_refused_while_a_replica_leads(replicas: Callable[[str], Leader]) -> None:
    """`once` holds the lease for its cycle: refused with the leader named while another
    replica leads; released afterwards, so the next `once` gets it at once."""
    a, b, c = replicas("a"), replicas("b"), replicas("c")
    assert a.try_lead()
    with pytest.raises(LeaseLostError, match=r"already working on state .* \(host-a pid 10, "
                       r"lease until 2026-12-01T15:00:30\+00:00\); not starting a second one"), \
            leading_once(b, threading.Event()):
        pass
    a.release()
    with leading_once(c, threading.Event()):
        _write(c, 1)
    with leading_once(b, threading.Event()):
        _write(b, 2)


class Work:
    """A cycle that records which jobs ran, and makes its sync write through the fence."""

    def __init__(self, leader: Leader, stop: threading.Event) -> None:
        self.leader = leader
        self.stop = stop
        self.calls: list[str] = []

    def read_mail(self) -> None:
        self.calls.append("mail")

    def sync(self) -> None:
        self.calls.append("sync")
        _write(self.leader, len(self.calls))
        self.stop.set()

    def deliver_mail(self) -> None:
        self.calls.append("deliver")


def test_a_standby_loop_does_no_work_and_is_healthy(
        replicas: Callable[[str], Leader], clock: SettableClock) -> None:
    """The standby's loop runs no job (mail, sync, delivery) while another leads, and its
    health is 200 saying who leads; the leader's health names its lease after the rest."""
    a, b = replicas("a"), replicas("b")
    assert a.try_lead()
    stop = threading.Event()
    work = Work(b, stop)
    health = Health(clock, stale_after=timedelta(minutes=5), leader=b)
    loop = ServiceLoop(work, intervals=Intervals(1, 1, 1), health=health,  # type: ignore[arg-type]
                       stop=stop, leader=b)
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    assert loop.run() == 0
    timer.cancel()
    assert work.calls == []
    assert health.status() == (True, "standby: host-a pid 10 leads (lease token 1, until "
                                     "2026-12-01T15:00:30+00:00)")
    assert health.details()["role"] == "standby"
    leading = Health(clock, stale_after=timedelta(minutes=5), leader=a)
    leading.succeeded("sync")
    assert leading.status() == (True, "last successful sync 0s ago; leader (lease token 1, "
                                      "until 2026-12-01T15:00:30+00:00)")


def test_a_replica_that_has_not_yet_tried_the_lease_is_not_healthy(
        replicas: Callable[[str], Leader], clock: SettableClock) -> None:
    """Between `run` serving /healthz and its first try at the lease, a replica has done
    nothing: it says "starting" and is not healthy, so a probe (or a test waiting for the
    service) does not take it for a ready standby; after a failed try it is a standby."""
    a, b = replicas("a"), replicas("b")
    health = Health(clock, stale_after=timedelta(minutes=5), leader=b)
    assert health.status() == (False, "starting: not yet tried for the lease")
    assert a.try_lead()
    assert not b.try_lead()
    assert health.status()[0] is True and b.status().role == "standby"


def test_a_loop_whose_write_is_fenced_off_stands_by(
        replicas: Callable[[str], Leader], clock: SettableClock,
        caplog: pytest.LogCaptureFixture) -> None:
    """A leader paused in the middle of its sync (B takes over meanwhile) fails the sync's
    write with LeaseLostError when it wakes: nothing of it is written, the loop logs no job
    failure and marks nothing unhealthy, and the replica stands by, its fence closed."""
    a, b = replicas("a"), replicas("b")
    assert a.try_lead()
    stop = threading.Event()

    class PausedSync(Work):
        def sync(self) -> None:
            self.calls.append("sync")
            clock.advance(PERIOD)  # paused here, long enough for B to take over
            assert b.try_lead()
            try:
                _write(self.leader, 7)
            finally:
                self.stop.set()

    work = PausedSync(a, stop)
    health = Health(clock, stale_after=timedelta(minutes=5), leader=a)
    loop = ServiceLoop(work, intervals=Intervals(), health=health,  # type: ignore[arg-type]
                       stop=stop, leader=a)
    caplog.set_level(logging.INFO)
    assert loop.run() == 0
    assert "sync" in work.calls
    assert "job failed" not in caplog.text
    assert "standing by: " in caplog.text
    assert health.last_error == {}
    assert a.status().role == "standby" and a.fence.token is None
    store: SqlStateStore = b.store  # type: ignore[attr-defined]
    assert store.bookmark("HELP") is None
