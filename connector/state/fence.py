"""The fence: every write a leader makes to the state checks, in its own transaction, that the
lease still carries this process's token.

A replica that was paused (SIGSTOP, a long GC, a frozen VM) or cut off can wake up believing it
still leads after a standby took over. Its writes must not land. Temporary triggers on each
fenced connection refuse any INSERT, UPDATE or DELETE of the state's tables unless the `leases`
row still holds the token this process was given when it acquired the lease (read through an
SQL function, so one `Fence` serves every connection and thread of the process). The check runs
inside the writing statement's transaction, so no write can slip between check and commit.
"""

from __future__ import annotations

import sqlite3
import threading

# The message a refused write fails with; SQLite reports it as the statement's error.
# (No quote in it: it is spelt inside an SQL string literal.)
FENCE_MESSAGE = "ticketflow lease lost: another replica holds the lease on this state"
SERVICE_LEASE = "service"
_TOKEN_FUNCTION = "ticketflow_fence_token"  # noqa: S105 - an SQL function name
# Tables left unfenced, and why: the lease itself and the migrations are how replicas agree;
# the state's identity never changes; `meta` holds caches (the tracker's flavor and identity,
# read at start by every replica) and last-writer-wins marks that are not effects; `feedback`
# holds customers' answers, which the form of any replica takes (a load balancer picks one),
# and `feedback_posts` the form's rate-limit records of them. Of the typed tables that replaced
# `meta` (0014_typed_notes): `installation_keys` are made once by whichever replica needs one
# first (a standby's form signs links too), `config_checks` by any replica checking its
# configuration at start or reload, and `recipient_sends` records a message a mail server
# accepted (a fact, as the outbox's `sent`). The rest are the leader's and fenced.
UNFENCED = frozenset({"leases", "migrations", "state_identity", "meta", "feedback",
                      "feedback_posts", "installation_keys", "config_checks",
                      "recipient_sends"})
# A former leader may still record that a mail server accepted a message: that is a fact, and
# forgetting it would only make the new leader send the message a second time.
_OUTBOX_SENT = "WHEN NEW.status IS NOT 'sent'"


class Fence:
    """This process's fencing token (None: not leading, every fenced write is refused)."""

    def __init__(self, lease: str = SERVICE_LEASE) -> None:
        self._lease = lease
        self._token: int | None = None
        self._lock = threading.Lock()

    @property
    def token(self) -> int | None:
        with self._lock:
            return self._token

    def hold(self, token: int | None) -> None:
        """Writes pass while the lease row carries `token`; None refuses them all."""
        with self._lock:
            self._token = token

    def install(self, db: sqlite3.Connection) -> None:
        """Fence every table of this connection's database but the UNFENCED ones (a table a
        later migration adds is fenced unless listed there). Call after the migrations."""
        db.create_function(_TOKEN_FUNCTION, 0, lambda: self.token, deterministic=False)
        tables = [name for (name,) in db.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE "
            "'sqlite_%' ORDER BY name") if name not in UNFENCED]
        for table in tables:
            for operation in ("INSERT", "UPDATE", "DELETE"):
                when = _OUTBOX_SENT if (table, operation) == ("outbox", "UPDATE") else ""
                db.execute(_trigger(table, operation, when, self._lease))


def fenced_tables(db: sqlite3.Connection) -> set[str]:
    """The tables a fence on this connection guards (for tests and `state check`)."""
    rows = db.execute("SELECT DISTINCT tbl_name FROM temp.sqlite_master WHERE type = 'trigger' "
                      "AND name LIKE 'fence_%'")
    return {name for (name,) in rows}


def fenced_out(error: BaseException) -> bool:
    """Whether an sqlite3 error is the fence refusing a write."""
    return isinstance(error, sqlite3.IntegrityError) and FENCE_MESSAGE in str(error)


def _trigger(table: str, operation: str, when: str, lease: str) -> str:
    quoted = '"' + table.replace('"', '""') + '"'
    name = '"fence_' + f"{table}_{operation.lower()}".replace('"', '""') + '"'
    lease_literal = "'" + lease.replace("'", "''") + "'"
    # Names from sqlite_master and our own constants, quoted: DDL takes no bound parameters.
    return (f"CREATE TEMP TRIGGER IF NOT EXISTS {name} BEFORE {operation} ON main.{quoted} "  # noqa: S608
            f"{when} BEGIN SELECT RAISE(ABORT, '{FENCE_MESSAGE}') WHERE NOT EXISTS ("
            f"SELECT 1 FROM main.leases WHERE name = {lease_literal} "
            f"AND token = {_TOKEN_FUNCTION}()); END")
