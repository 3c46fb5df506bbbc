"""Which replica acts: the leader lease taken, renewed and given up, and the role it gives.

`run` replicas sharing one state each hold a `Leader`. The main loop asks `try_lead()` between
jobs (a standby tries every third of a lease period, and when the holder's lease runs out); a
thread renews the lease every third of a period while leading. Losing it (a renewal refused,
or a fenced write refused) makes the process a standby at once: the fence is closed before
anything else, so no write of the work in hand lands. Re-acquiring happens only between jobs,
so work begun under an old token never runs under a new one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from connector import metrics
from connector.errors import LeaseLostError, RetriableError
from connector.state.fence import Fence
from connector.state.lease import Lease, LeaseRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseStatus:
    """What /healthz says about the lease: this replica's role and who leads until when."""

    role: str  # "leader", "standby", or "starting" (not yet tried for the lease)
    holder: str | None
    token: int | None
    expires_at: datetime | None

    def describe(self) -> str:
        if self.role == "starting":
            return "starting: not yet tried for the lease"
        if self.holder is None or self.expires_at is None:
            return f"{self.role}: nobody holds the lease yet"
        until = self.expires_at.isoformat(timespec="seconds")
        if self.role == "leader":
            return f"leader (lease token {self.token}, until {until})"
        return f"standby: {self.holder} leads (lease token {self.token}, until {until})"


class Leader:
    """This process's side of the lease: its role, and the fence's token while it leads."""

    def __init__(self, lease: Lease, fence: Fence) -> None:
        self.lease = lease
        self.fence = fence
        self._ours: LeaseRecord | None = None
        self._seen: LeaseRecord | None = None
        self._next_try: datetime | None = None
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Leading, with a lease that has not run out by our clock (a renewal that could not be
        written, a database that stays busy, makes us stop starting work in time)."""
        with self._lock:
            ours = self._ours
        return ours is not None and not ours.expired(self.lease.clock.now())

    def try_lead(self, *, at_once: bool = False) -> bool:
        """Between jobs, on the main thread: lead if the lease can be had. A standby asks the
        database once every third of a period, or when the lease it saw runs out if that is
        sooner, not on every turn of the loop (`at_once`: now, whenever it last asked)."""
        if self.active:
            return True
        now = self.lease.clock.now()
        if not at_once and self._next_try is not None and now < self._next_try:
            return False
        next_try = now + self.lease.period / 3
        before = self._seen
        try:
            record = self.lease.acquire()
            seen = record or self.lease.current()
        except RetriableError as error:
            log.warning("could not try the lease: %s", error)
            self._next_try = next_try
            return False
        if record is None and seen is not None and now < seen.expires_at < next_try:
            next_try = seen.expires_at  # the holder's lease runs out sooner: try then
        with self._lock:  # the role /healthz reads changes here, at once, not halfway
            self._seen = seen
            self._ours = record
            self._next_try = next_try
        if record is None:
            self.fence.hold(None)
            metrics.LEADER.set(0)
            return False
        self.fence.hold(record.token)
        metrics.LEADER.set(1)
        after = f" from {before.holder}" if before and before.holder != record.holder else ""
        log.info("leading: took the lease on state %s%s (token %d, until %s)",
                 self.lease.location, after, record.token,
                 record.expires_at.isoformat(timespec="seconds"),
                 extra={"lease_token": record.token})
        return True

    def seconds_to_next_try(self) -> float:
        """How long a standby's loop may wait before its next try at the lease."""
        if self._next_try is None:
            return 0.0
        return max((self._next_try - self.lease.clock.now()).total_seconds(), 0.0)

    def renew(self) -> None:
        """Extend the lease while leading (the renewal thread's step)."""
        with self._lock:
            ours = self._ours
        if ours is None:
            return
        try:
            expires = self.lease.renew(ours.token)
        except LeaseLostError as error:
            self.lost(error)
            return
        except RetriableError as error:  # the lease may run out; the fence keeps writes safe
            log.warning("could not renew the lease: %s", error)
            return
        with self._lock:
            if self._ours is not None and self._ours.token == ours.token:
                self._ours = LeaseRecord(ours.holder, ours.token, ours.acquired_at, expires)
                self._seen = self._ours

    def lost(self, error: LeaseLostError) -> None:
        """Stand by: close the fence first, so nothing of the work in hand can be written."""
        self.fence.hold(None)
        with self._lock:
            was = self._ours
            self._ours = None
        metrics.LEADER.set(0)
        if was is not None:
            log.warning("standing by: %s; the work in hand is left to the new leader", error)

    def release(self) -> None:
        """Give the lease up on a clean stop, so a standby takes over at once."""
        with self._lock:
            ours = self._ours
            self._ours = None
        self.fence.hold(None)
        metrics.LEADER.set(0)
        if ours is None:
            return
        try:
            self.lease.release(ours.token)
        except RetriableError as error:
            log.warning("could not release the lease (it runs out by itself): %s", error)
            return
        log.info("released the lease on state %s", self.lease.location)

    def status(self) -> LeaseStatus:
        with self._lock:
            ours, seen, tried = self._ours, self._seen, self._next_try is not None
        shown = ours or seen
        # Before its first try a replica is neither: it must not pass for a ready standby
        # (a probe, or an operator, would take a service that has done nothing as healthy).
        role = "leader" if self.active else "standby" if tried else "starting"
        return LeaseStatus(role,
                           str(shown.holder) if shown else None,
                           shown.token if shown else None, shown.expires_at if shown else None)

    @contextmanager
    def renewing(self, stop: threading.Event) -> Iterator[None]:
        """Renew every third of a period on a thread of its own until the block ends."""
        done = threading.Event()
        seconds = self.lease.period.total_seconds() / 3

        def keep() -> None:
            while not (done.wait(seconds) or stop.is_set()):
                self.renew()

        thread = threading.Thread(target=keep, name="lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(seconds + 1)


@contextmanager
def leading_once(leader: Leader, stop: threading.Event) -> Iterator[None]:
    """Hold the lease for one piece of work (`once`): refused with LeaseLostError, naming the
    holder, while another replica leads; renewed while the work lasts; released after."""
    if not leader.try_lead(at_once=True):
        held = leader.status()
        until = held.expires_at.isoformat(timespec="seconds") if held.expires_at else "?"
        raise LeaseLostError(
            f"another ticketflow is already working on state {leader.lease.location} "
            f"({held.holder}, lease until {until}); not starting a second one")
    try:
        with leader.renewing(stop):
            yield
    finally:
        leader.release()
