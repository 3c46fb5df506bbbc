"""The leader lease on one state: who holds it, until when, and its fencing token.

Replicas of `run` share one state; the one holding the lease acts, the others stand by. The
lease is one row of `leases`, on SQLite and PostgreSQL alike. Acquiring and renewing are each
one conditional statement, the same text on both (an upsert whose update only happens while
the lease is free, expired, ours, or held by a process known to be gone; an update that names
our token), run in a write transaction (`BEGIN IMMEDIATE` on SQLite, READ COMMITTED on
PostgreSQL, so a take-over that waited for a fenced transaction re-reads the row it waited
for), so two processes can never both hold it. Every new holder gets the next fencing token,
which the fence (connector.state.fence) checks on each write.

The lease keeps a connection of its own, usable from any thread (calls are serialised): the
renewal must not wait behind a long cycle's transaction on the service's connection. On
PostgreSQL no statement of it waits longer than half a period for a lock; a take-over that
waited that long for the former holder ends that holder's sessions in a transaction and tries
once more (`end_sessions_of`: a paused process may hold the row locked with no timeout).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connector.clock import Clock
from connector.errors import LeaseLostError, RetriableError
from connector.state.fence import SERVICE_LEASE, THIS_REPLICA, stall_limit
from connector.state.location import lease_database
from connector.state.migrate import migration_state
from connector.state.migrations import MIGRATIONS
from connector.state.postgres import end_sessions_of, lock_wait_ran_out
from connector.state.sql import Database
from connector.state.timestamps import from_text, to_text

log = logging.getLogger(__name__)
_COLUMNS = ("token, holder_host, holder_pid, holder_replica, holder_process, acquired_at, "
            "expires_at")
# One statement: take the lease when it is free, expired, ours already (then the token stays),
# or held by the token of a process seen to be gone; RETURNING says whether it was taken.
_ACQUIRE = """
INSERT INTO leases (name, token, holder_host, holder_pid, holder_replica, holder_process,
                    acquired_at, renewed_at, expires_at)
VALUES (:name, 1, :host, :pid, :replica, :process, :now, :now, :expires)
ON CONFLICT (name) DO UPDATE SET
    token = CASE WHEN leases.holder_replica = excluded.holder_replica THEN leases.token
                 ELSE leases.token + 1 END,
    acquired_at = CASE WHEN leases.holder_replica = excluded.holder_replica
                       THEN leases.acquired_at ELSE excluded.acquired_at END,
    holder_host = excluded.holder_host, holder_pid = excluded.holder_pid,
    holder_replica = excluded.holder_replica, holder_process = excluded.holder_process,
    renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
WHERE leases.holder_replica = excluded.holder_replica OR leases.expires_at <= excluded.renewed_at
    OR leases.token = :gone_token
RETURNING token, acquired_at
"""
# Renewing never takes a lease back: only the token we were given is extended (even past its
# expiry, as long as nobody took it meanwhile: then nobody else wrote either).
_RENEW = ("UPDATE leases SET renewed_at = :now, expires_at = :expires "
          "WHERE name = :name AND token = :token AND holder_replica = :replica RETURNING token")
# Released, the lease is expired at once: a standby need not wait out the period.
_RELEASE = ("UPDATE leases SET expires_at = :now "
            "WHERE name = :name AND token = :token AND holder_replica = :replica")


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: a host, a pid, and a replica id drawn at each start (every container's
    first process is pid 1, often on hosts of the same name). `process` (boot id, pid namespace,
    pid and start time, on Linux) lets a peer on the same machine see that it is gone."""

    host: str
    pid: int
    replica: str
    process: str = ""

    @classmethod
    def this_process(cls) -> Holder:
        return cls(socket.gethostname(), os.getpid(), THIS_REPLICA, process_key(os.getpid()))

    def __str__(self) -> str:
        return f"{self.host} pid {self.pid}"


@dataclass(frozen=True)
class LeaseRecord:
    """The lease as the state has it."""

    holder: Holder
    token: int
    acquired_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


class Lease:
    """One lease (`name`) on the state at `location` (a SQLite file or a PostgreSQL URL), held
    by `holder` for `period` at a time, on `clock` (a wall clock shared by all replicas; tests
    move a SettableClock)."""

    def __init__(self, location: Path | str, *, clock: Clock, period: timedelta,
                 holder: Holder | None = None, name: str = SERVICE_LEASE) -> None:
        if period <= timedelta(0):
            raise ValueError("a lease period must be positive")
        self.clock = clock
        self.period = period
        self.holder = holder or Holder.this_process()
        self.name = name
        self._guard = threading.Lock()
        self._db = lease_database(location, stall_limit=stall_limit(period))
        self.location = self._db.location

    def current(self) -> LeaseRecord | None:
        """The lease as recorded now (whoever holds it), or None if never taken."""
        with self._guard, self._db.translated("reading the lease"):
            return read_lease(self._db, self.name)

    def acquire(self) -> LeaseRecord | None:
        """Take (or keep) the lease: ours now, with its token, or None while another live
        holder's lease runs (see `current()` for whom)."""
        seen = self.current()
        gone = seen.token if seen is not None and process_gone(seen.holder.process) else -1
        now = self.clock.now()
        me = self.holder
        if seen is not None and not seen.expired(now) and gone < 0 \
                and seen.holder.replica != me.replica:
            # Another's live lease: writing would only wait (on PostgreSQL, for the holder's
            # fenced transactions) to change nothing.
            return None
        values = {"name": self.name, "host": me.host, "pid": me.pid, "replica": me.replica,
                  "process": me.process, "now": to_text(now),
                  "expires": to_text(now + self.period), "gone_token": gone}
        with self._guard:
            try:
                row = self._take(values)
            except RetriableError as error:
                former = seen.holder if seen is not None else None
                if former is None or former.replica == me.replica or \
                        not lock_wait_ran_out(error):
                    raise
                with self._db.translated("ending the former leader's sessions"):
                    ended = end_sessions_of(self._db, former.replica)
                log.warning("the former leader %s held the lease locked for half a period: "
                            "ended its %d session(s) in a transaction", former, ended)
                row = self._take(values)
        if row is None:
            return None
        return LeaseRecord(me, row[0], from_text(row[1]), now + self.period)

    def _take(self, values: dict[str, object]) -> Any:
        """The acquiring statement in its transaction: its row (token, acquired_at) or None."""
        with self._db.transaction("acquiring the lease"):
            return self._db.execute(_ACQUIRE, values).fetchone()

    def renew(self, token: int) -> datetime:
        """Extend our lease by a period; its new expiry. LeaseLostError if another took it."""
        now = self.clock.now()
        values = {"name": self.name, "token": token, "replica": self.holder.replica,
                  "now": to_text(now), "expires": to_text(now + self.period)}
        with self._guard, self._db.transaction("renewing the lease"):
            row = self._db.execute(_RENEW, values).fetchone()
        if row is None:
            raise LeaseLostError(f"lost the lease on state {self.location}: "
                                 f"{self._taken_by()}")
        return now + self.period

    def release(self, token: int) -> None:
        """Give the lease up (a clean stop): a standby may take it at once."""
        values = {"name": self.name, "token": token, "replica": self.holder.replica,
                  "now": to_text(self.clock.now())}
        with self._guard, self._db.transaction("releasing the lease"):
            self._db.execute(_RELEASE, values)

    def close(self) -> None:
        with self._guard:
            self._db.close()

    def _taken_by(self) -> str:
        record = self.current()
        if record is None:
            return "the lease is gone"
        return f"{record.holder} holds it (token {record.token})"


def read_lease(db: Database, name: str = SERVICE_LEASE) -> LeaseRecord | None:
    """The lease `name` as the state records it (whoever holds it), or None if never taken."""
    row = db.execute(f"SELECT {_COLUMNS} FROM leases WHERE name = ?",  # noqa: S608
                     (name,)).fetchone()
    if row is None:
        return None
    return LeaseRecord(Holder(row[1], row[2], row[3], row[4]), row[0], from_text(row[5]),
                       from_text(row[6]))


def live_leader(db: Database, now: datetime) -> LeaseRecord | None:
    """The service lease while a live replica holds it (not run out, its process not seen
    gone); None otherwise, and on a state older than the lease."""
    if "0015_leases" not in migration_state(db, MIGRATIONS).applied:
        return None
    record = read_lease(db)
    if record is None or record.expired(now) or process_gone(record.holder.process):
        return None
    return record


def state_id(db: Database) -> str:
    """The state's own identity, the same for every replica sharing it (one owner)."""
    row = db.execute("SELECT id FROM state_identity").fetchone()
    return str(row[0])


def process_key(pid: int) -> str:
    """`boot-id/pid-namespace/pid/start-time` of a live process on Linux; "" elsewhere."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = str(Path("/proc/self/ns/pid").readlink())
        return f"{boot}/{namespace}/{pid}/{_start_time(pid)}"
    except (OSError, ValueError):
        return ""


def process_gone(key: str) -> bool:
    """True only when `key` names a process of this machine and pid namespace that has ended
    (or whose pid now belongs to another process); False when alive or not ours to see."""
    parts = key.split("/")
    mine = process_key(os.getpid()).split("/")
    if len(parts) != 4 or len(mine) != 4 or parts[:2] != mine[:2]:
        return False
    try:
        return _start_time(int(parts[2])) != parts[3]
    except (OSError, ValueError):
        return True


def _start_time(pid: int) -> str:
    """Field 22 of /proc/PID/stat (start time in clock ticks); a zombie counts as gone."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and parens
    if fields[0] in ("Z", "X"):
        raise ProcessLookupError(pid)
    return fields[19]
