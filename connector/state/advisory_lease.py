"""The leader lease on a PostgreSQL state: the state's session advisory lock, held on a
connection of its own.

SQLite's lease is a row with a fencing token (connector.state.lease); PostgreSQL needs no row:
the server keeps the advisory lock for as long as the holder's session lives and drops it when
the holder dies or its connection is cut, so a standby takes it at its next try. The same lock
is `ticketflow state migrate`'s instance lock, so a migration never runs beside a leader. What
it lacks is the fence: a leader paused while its session stays open keeps leading, and one cut
off learns at its next renewal (every third of a period) that it lost the lock.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from connector.clock import Clock
from connector.errors import LeaseLostError, RetriableError
from connector.state.fence import SERVICE_LEASE
from connector.state.lease import Holder, LeaseRecord
from connector.state.postgres import INSTANCE_LOCK, PostgresDatabase, holder_of_lock

# Far enough that a standby never thinks the leader's time ran out: the lock has no expiry.
_HELD = timedelta(days=365 * 100)
_TRY = "SELECT pg_try_advisory_lock(?, hashtext(current_schema()))"
_RELEASE = "SELECT pg_advisory_unlock(?, hashtext(current_schema()))"


class AdvisoryLease:
    """The `SqliteLease` interface over the advisory lock of the state at `url`; `period`
    only paces the leader's renewals (a liveness check of its session) and a standby's tries."""

    def __init__(self, url: str, *, clock: Clock, period: timedelta) -> None:
        if period <= timedelta(0):
            raise ValueError("a lease period must be positive")
        self.clock = clock
        self.period = period
        self.holder = Holder.this_process()
        self.name = SERVICE_LEASE
        self._guard = threading.Lock()
        self._db = PostgresDatabase(url)
        self.location = self._db.location
        self._ours: LeaseRecord | None = None
        self._session = 0  # the server process of the session holding the lock

    def current(self) -> LeaseRecord | None:
        """Ours while we hold the lock; else who holds it (named as the server knows it), or
        None when nobody does."""
        with self._guard:
            if self._ours is not None:
                return self._ours
            holder = holder_of_lock(self._db)
        if holder is None:
            return None
        now = self.clock.now()
        return LeaseRecord(Holder(holder, 0, ""), 0, now, now + _HELD)

    def acquire(self) -> LeaseRecord | None:
        """Take the lock (kept if ours already); None while another session holds it."""
        with self._guard:
            if self._ours is not None:
                return self._ours
            (taken,) = self._db.execute(_TRY, (INSTANCE_LOCK,)).fetchone()
            if not taken:
                return None
            self._session = self._backend()
            now = self.clock.now()
            self._ours = LeaseRecord(self.holder, 1, now, now + _HELD)
            return self._ours

    def renew(self, token: int) -> datetime:
        """Check that the session holding the lock is still ours: LeaseLostError if it ended
        (the server dropped the lock with it; a new connection would not hold it)."""
        with self._guard:
            try:
                session = self._backend()
            except RetriableError as error:
                session, reason = 0, str(error)
            else:
                reason = "its session ended"
            if session != self._session:
                self._ours = None
                raise LeaseLostError(f"lost the lease on state {self.location}: {reason}")
        return self.clock.now() + _HELD

    def _backend(self) -> int:
        (pid,) = self._db.execute("SELECT pg_backend_pid()").fetchone()
        return int(pid)

    def release(self, token: int) -> None:
        with self._guard:
            if self._ours is not None:
                self._ours = None
                self._db.execute(_RELEASE, (INSTANCE_LOCK,)).fetchone()

    def close(self) -> None:
        with self._guard:
            self._ours = None
            self._db.close()  # ends the session, and the lock with it
