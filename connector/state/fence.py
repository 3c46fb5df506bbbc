"""The fence: every write a leader makes to the state checks, in its own transaction, that the
lease still carries this process's token.

A replica that was paused (SIGSTOP, a long GC, a frozen VM) or cut off can wake up believing it
still leads after a standby took over. Its writes must not land. Triggers refuse any INSERT,
UPDATE or DELETE of the state's tables on a fenced connection unless the `leases` row still
holds the token this process was given when it acquired the lease. The check runs inside the
writing statement's transaction, so no write can slip between check and commit.

SQLite: temporary triggers on each fenced connection read the token through an SQL function,
so one `Fence` serves every connection and thread of the process.

PostgreSQL: persistent triggers (installed with the migrations, `ensure_postgres_fence`) read
the connection's `ticketflow.fence_token` setting; a connection that never set it (a CLI
command, a migration) is not fenced, a fenced one sets it to this process's token, or to 0
(never a token) while it does not lead. The trigger reads the lease row `FOR KEY SHARE` and
holds that lock to the end of the writing transaction. The token is in a unique index, so a
take-over (which changes it) is a key update: it waits for every fenced transaction that
already checked, and one that checks afterwards is refused (under READ COMMITTED it reads the
new token; under SERIALIZABLE, with an older snapshot, it fails to serialize). A renewal
changes no key column and never waits for a fenced transaction.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from datetime import timedelta
from typing import Protocol

from connector.state.sql import Database

# The message a refused write fails with; SQLite reports it as the statement's error.
# (No quote in it: it is spelt inside an SQL string literal.)
FENCE_MESSAGE = "ticketflow lease lost: another replica holds the lease on this state"
SERVICE_LEASE = "service"
# This process's replica id, drawn at each start: the lease names its holder by it, and every
# PostgreSQL session of the process carries it in its application name, so a replica taking
# over can find the sessions of the one it replaces (connector.state.postgres.end_sessions_of).
THIS_REPLICA = secrets.token_hex(8)
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
# PostgreSQL: the session setting a fenced connection carries its token in ("0": it does not
# lead), and the trigger function that compares it with the lease row's.
TOKEN_SETTING = "ticketflow.fence_token"  # noqa: S105 - a setting's name
NO_TOKEN = "0"  # noqa: S105 - tokens start at 1
_PG_FUNCTION = "ticketflow_fence"
_PG_FENCE = f"""
CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $fence$
DECLARE
    mine text := current_setting('{TOKEN_SETTING}', true);
    held bigint;
BEGIN
    IF coalesce(mine, '') = '' THEN
        RETURN NEW;  -- an unfenced connection: a CLI command, a migration
    END IF;
    -- Only ticketflow's own fenced sessions get here, and their search_path is the state's
    -- schema: a static query, planned once a session (a dynamic one cost ~0.2 ms a write).
    SELECT token INTO held FROM leases WHERE name = TG_ARGV[0] FOR KEY SHARE;
    IF held IS NULL OR held::text <> mine THEN
        RAISE EXCEPTION '{FENCE_MESSAGE}';
    END IF;
    RETURN NEW;  -- the row as it is (a statement-level trigger's result is ignored)
END
$fence$
"""  # noqa: S608 - our own constants, no outside value


class FenceToken(Protocol):
    """What a fenced connection asks before each transaction: the token to write under."""

    @property
    def token(self) -> int | None: ...


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


def stall_limit(period: timedelta) -> timedelta:
    """How long a fenced PostgreSQL transaction may sit idle before the server ends its
    session: half a lease period, so a leader paused mid-transaction has lost its session
    (and the row lock a take-over waits for) by the time its lease runs out."""
    return period / 2


def install_postgres_fence(db: Database) -> None:
    """The fence's trigger function, and its triggers on every table of the schema but the
    UNFENCED ones that lacks them. Run in a transaction: by the migration that brought the
    fence, and after any later migration (`migrate.ensure_postgres_fence`)."""
    db.execute(_PG_FENCE)
    for table, operations in unfenced_tables(db).items():
        for name, body in _pg_triggers(table, operations):
            db.execute(f'CREATE OR REPLACE TRIGGER "{name}" {body}')


def postgres_fence_installed(db: Database) -> bool:
    """Whether this PostgreSQL schema has the fence's trigger function (its migration ran)."""
    (found,) = db.execute(f"SELECT to_regprocedure('{_PG_FUNCTION}()') IS NOT NULL "
                          "AND to_regclass('leases') IS NOT NULL").fetchone()
    return bool(found)


def unfenced_tables(db: Database) -> dict[str, set[str]]:
    """The tables of this PostgreSQL schema that should be fenced, with the fence triggers
    each lacks (empty when all are in place)."""
    rows = db.execute(
        "SELECT c.relname, t.tgname FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid "
        "AND t.tgname LIKE 'fence\\_%' WHERE c.relkind IN ('r', 'p') "
        "AND c.relnamespace = current_schema()::regnamespace").fetchall()
    present: dict[str, set[str]] = {}
    for table, trigger in rows:
        present.setdefault(str(table), set()).update({str(trigger)} if trigger else set())
    missing = {}
    for table, found in present.items():
        if table in UNFENCED:
            continue
        lacking = {name for name, _ in _pg_triggers(table, set())} - found
        if lacking:
            missing[table] = lacking
    return missing


def pg_fenced_tables(db: Database) -> set[str]:
    """The tables of this PostgreSQL schema carrying the fence's triggers."""
    rows = db.execute("SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c "
                      "ON c.oid = t.tgrelid WHERE t.tgname LIKE 'fence\\_%' "
                      "AND c.relnamespace = current_schema()::regnamespace").fetchall()
    return {str(name) for (name,) in rows}


def _pg_triggers(table: str, wanted: set[str]) -> list[tuple[str, str]]:
    """(name, definition) of the fence's triggers on `table` (all of them when `wanted` is
    empty): one per statement; the outbox's UPDATE per row, to let `sent` through."""
    quoted = '"' + table.replace('"', '""') + '"'
    call = f"EXECUTE FUNCTION {_PG_FUNCTION}('{SERVICE_LEASE}')"
    if table == "outbox":
        found = [(f"fence_{table}", f"BEFORE INSERT OR DELETE OR TRUNCATE ON {quoted} "
                                    f"FOR EACH STATEMENT {call}"),
                 (f"fence_{table}_update", f"BEFORE UPDATE ON {quoted} FOR EACH ROW "
                                           f"WHEN (NEW.status IS DISTINCT FROM 'sent') {call}")]
    else:
        found = [(f"fence_{table}", f"BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quoted} "
                                    f"FOR EACH STATEMENT {call}")]
    return [(name, body) for name, body in found if not wanted or name in wanted]


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
