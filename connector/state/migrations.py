"""The state's named schema migrations, in order; SQLite's text, PostgreSQL's where it differs.

Append only: a name, once released, is never renamed, reordered or edited. Each is applied
once, in its own transaction, by `connector.state.migrate`.
"""

from __future__ import annotations

from connector.state.fence import install_postgres_fence
from connector.state.migrate import (
    Migration,
    apply_migrations,
    on_postgres,
    statements,
    write_transaction,
)
from connector.state.notes_migration import typed_notes
from connector.state.sql import Database

__all__ = ["MIGRATIONS", "Migration", "apply_migrations", "statements", "write_transaction"]


_INITIAL = """
CREATE TABLE bookmarks (
    project TEXT PRIMARY KEY,
    since TEXT NOT NULL,
    backfilled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tickets (
    issue_id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    status TEXT NOT NULL,
    status_since TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    assignee TEXT,
    assignee_name TEXT,
    tier INTEGER,
    category TEXT,
    customer TEXT,
    reporter TEXT,
    labels TEXT NOT NULL DEFAULT '[]',
    last_customer_reply TEXT,
    resolutions INTEGER NOT NULL DEFAULT 0,
    open INTEGER NOT NULL DEFAULT 1
);
-- issue_id ends the index so open tickets can be paged in key order without a sort.
CREATE INDEX tickets_project_open ON tickets (project, open, issue_id);
CREATE TABLE processed_changes (
    change_id TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL,
    processed_at TEXT NOT NULL
);
CREATE TABLE ledger (
    effect_key TEXT NOT NULL UNIQUE,
    issue_key TEXT NOT NULL,
    rule TEXT NOT NULL,
    action TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX ledger_issue_created ON ledger (issue_key, created_at);
-- Partial: the ledger keeps every effect ever taken, the few still pending are read each cycle.
CREATE INDEX ledger_pending ON ledger (created_at) WHERE status = 'pending';
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    effect_key TEXT NOT NULL UNIQUE,
    issue_key TEXT NOT NULL,
    template TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_status_next ON outbox (status, next_attempt_at);
-- Round-robin assignment: how many turns each named rotation has handed out.
CREATE TABLE rotations (
    name TEXT PRIMARY KEY,
    turns INTEGER NOT NULL
);
"""

# Small named values that outlive a process: e.g. when the last census ran, so cron-driven
# `once` runs (a new process each time) still take a census only once an hour.
_META = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Every Message-ID we sent or received, with its ticket: replies thread by In-Reply-To and
# References against this table (mail intake), and outgoing mail points at the customer's
# original message (notifications).
_MESSAGE_IDS = """
CREATE TABLE message_ids (
    message_id TEXT PRIMARY KEY,
    issue_key TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    created_at TEXT NOT NULL
);
CREATE INDEX message_ids_by_issue ON message_ids (issue_key, direction, created_at);
"""

# Addresses that must get no automatic mail for a while: a permanent bounce (set by mail
# intake), a flood stopped by the rate limit (set by delivery).
_SUPPRESSIONS = """
CREATE TABLE suppressions (
    address TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    until TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

# Customer feedback (connector/state/feedback.py): one answer per ticket and resolution; a
# second answer updates it. `written_back` is 0 until the score and the comment reached the
# tracker, so a failed write-back is retried rather than lost.
_FEEDBACK = """
CREATE TABLE feedback (
    issue_key TEXT NOT NULL,
    resolution INTEGER NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    answers INTEGER NOT NULL DEFAULT 1,
    written_back INTEGER NOT NULL DEFAULT 0,
    first_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (issue_key, resolution)
);
CREATE INDEX feedback_unwritten ON feedback (updated_at) WHERE written_back = 0;
"""

# Mail intake (connector/state/intake.py): one row per message read, keyed by its normalised
# Message-ID (or a hash when it has none), holding its outcome and the step reached, so a
# message read again, after a crash at any point, is finished rather than repeated; the UIDs
# handled per IMAP folder and UIDVALIDITY; comments made from mail, with who sent them (the
# poller counts them as the customer's); and the addresses taking part in each ticket.
_MAIL_INTAKE = """
CREATE TABLE mail_intake (
    mail_key TEXT PRIMARY KEY,
    message_id TEXT,
    mailbox TEXT NOT NULL,
    ref TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    sender TEXT,
    state TEXT NOT NULL CHECK (state IN ('started', 'done')),
    step TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome TEXT CHECK (outcome IN ('ticket', 'comment', 'quarantine')),
    issue_key TEXT,
    comment_id TEXT,
    reason TEXT NOT NULL DEFAULT '',
    automatic INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX mail_intake_by_issue ON mail_intake (issue_key);
CREATE INDEX mail_intake_quarantine ON mail_intake (done_at)
    WHERE outcome = 'quarantine';
CREATE TABLE mail_folders (
    mailbox TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE mail_uids (
    mailbox TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    mail_key TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
CREATE TABLE mail_comments (
    comment_id TEXT PRIMARY KEY,
    issue_key TEXT NOT NULL,
    sender TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('customer', 'staff'))
);
CREATE TABLE mail_participants (
    issue_key TEXT NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (issue_key, address)
);
"""

# The typed ledger: each row names the action it performs by its rule's index, kind and a
# digest of its definition (a replay checks them: rules.yaml may have changed meanwhile), the
# event that triggered it and the ticket's status then, and what an escalate or assign
# decided (tiers, waiting time, the person picked), so its notices read the same facts in
# any process. `blocked` rows wait for a configuration fix and are tried every cycle.
_TYPED_LEDGER_COLUMNS = (
    "action_index INTEGER", "action_kind TEXT", "action_definition TEXT", "action_digest TEXT",
    "event_kind TEXT", "event_at TEXT", "event_from TEXT", "event_to TEXT", "event_by TEXT",
    "event_field TEXT", "ticket_status TEXT", "ticket_status_since TEXT",
    "from_tier INTEGER", "to_tier INTEGER", "tier_name TEXT", "waited_status TEXT",
    "waited TEXT", "assignee TEXT",
)  # fmt: skip


def _typed_ledger(db: Database) -> None:
    for column in _TYPED_LEDGER_COLUMNS:
        db.execute(f"ALTER TABLE ledger ADD COLUMN {column}")
    db.execute("DROP INDEX ledger_pending")
    db.execute("CREATE INDEX ledger_pending ON ledger (created_at) "
               "WHERE status IN ('pending', 'blocked')")
    # Older rows named their action as "1:notify": index and kind from it (no digest: such a
    # row is replayed when its rule still has that kind of action at that index). Split
    # here rather than in SQL: the two dialects find a character with different functions.
    for key, action in db.execute("SELECT effect_key, action FROM ledger").fetchall():
        index, colon, kind = str(action).partition(":")
        if colon and index.isdigit():
            db.execute("UPDATE ledger SET action_index = ?, action_kind = ? WHERE effect_key = ?",
                       (int(index), kind, key))
    # Decisions used to live in meta as "pick KEY" (a person) and "tiers KEY" ("1->2").
    for key, value in db.execute("SELECT key, value FROM meta WHERE key LIKE 'pick %' "
                                 "OR key LIKE 'tiers %'").fetchall():
        what, _, effect_key = key.partition(" ")
        if what == "pick":
            db.execute("UPDATE ledger SET assignee = ? WHERE effect_key = ?", (value, effect_key))
            continue
        low, _, high = value.partition("->")
        if low.isdigit() and high.isdigit():
            db.execute("UPDATE ledger SET from_tier = ?, to_tier = ? WHERE effect_key = ?",
                       (int(low), int(high), effect_key))
    db.execute("DELETE FROM meta WHERE key LIKE 'pick %' OR key LIKE 'tiers %'")


# Mail intake under outages (connector/state/intake.py; issue 13 items 5, 11 and 12):
# `attempts` counts only the tracker's refusals of the mail itself, `waits` the passes an
# outage postponed it and `last_error` why it waits; `write_sent_at` is when a create whose
# answer never came was sent (a lookup that misses it soon after postpones instead of
# creating again); `released_at` is when an operator released it from the quarantine.
# Attempts counted under the old rule (outages included) are forgotten for unfinished mail.
_MAIL_INTAKE_OUTAGES = """
ALTER TABLE mail_intake ADD COLUMN waits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_intake ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_intake ADD COLUMN write_sent_at TEXT;
ALTER TABLE mail_intake ADD COLUMN released_at TEXT;
UPDATE mail_intake SET attempts = 0 WHERE state = 'started';
"""

# Bookmarks are the tracker adapter's own text (Jira: an instant of its clock, which is what
# `since` held, so existing rows stay valid; Zendesk: an export cursor), no longer a time.
_OPAQUE_BOOKMARKS = "ALTER TABLE bookmarks RENAME COLUMN since TO position;"

# Status history (connector/state/history.py): one row per stay of a ticket in one status at
# one tier, written by the state store in the transaction that upserts the ticket, so the
# report can say how long tickets wait where. `from_status` is NULL on the first status
# ticketflow saw; `left_at` is NULL while the ticket is still there. The tickets already
# mirrored start with their current stay (their earlier ones are unknown), and
# `status_history_since` in meta keeps when that was, on the tracker's clock.
_STATUS_HISTORY = """
CREATE TABLE status_history (
    id INTEGER PRIMARY KEY,
    issue_id TEXT NOT NULL,
    issue_key TEXT NOT NULL,
    project TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    tier INTEGER,
    entered_at TEXT NOT NULL,
    left_at TEXT
);
-- Each ticket's current stay, found on every commit that carries the ticket.
CREATE UNIQUE INDEX status_history_current ON status_history (issue_id) WHERE left_at IS NULL;
INSERT INTO status_history (issue_id, issue_key, project, from_status, to_status, tier,
                            entered_at)
    SELECT issue_id, key, project, NULL, status, tier, status_since FROM tickets;
INSERT INTO meta (key, value) SELECT 'status_history_since', max(updated) FROM tickets
    HAVING count(*) > 0;
"""

# The leader lease of replicas sharing this state (connector.state.lease): one row per lease,
# its holder, its expiry and the fencing token that grows with each new holder. And the
# state's own identity: every replica of one state is one owner (for a claim in the tracker).
_LEASES = """
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    token INTEGER NOT NULL,
    holder_host TEXT NOT NULL,
    holder_pid INTEGER NOT NULL,
    holder_replica TEXT NOT NULL,
    holder_process TEXT NOT NULL DEFAULT '',
    acquired_at TEXT NOT NULL,
    renewed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE state_identity (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    id TEXT NOT NULL
);
INSERT INTO state_identity (one, id) VALUES (1, lower(hex(randomblob(16))));
"""
# PostgreSQL draws the identity from its own random source (same 32 hex digits).
_LEASES_POSTGRES = on_postgres(_LEASES).replace(
    "lower(hex(randomblob(16)))", "replace(gen_random_uuid()::text, '-', '')")
# The due index of time rules (issue 18; connector/engine/due.py): when each ticket's
# `on: schedule` rules next need evaluating. '' is now (the ticket was written since its last
# evaluation, or rules.yaml changed), NULL is not until the ticket changes, anything else a
# fixed-width UTC instant, which sorts as text. Every existing ticket starts due now. Partial
# on open tickets, ordered for keyset paging: a cycle reads the due ones, not all. `due_bases`
# keeps, per project, the configuration's fingerprint the index was computed with and the
# latest instant a cycle read it at (a change of either makes every ticket due once).
_DUE_INDEX = """
ALTER TABLE tickets ADD COLUMN due_at TEXT DEFAULT '';
CREATE INDEX tickets_due ON tickets (project, due_at, issue_id) WHERE open = 1;
CREATE TABLE due_bases (
    project TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    through TEXT NOT NULL
);
"""

# The assignee history least_loaded counts as of an instant (connector/state/assignments.py):
# one row per person's hold of one open ticket, `left_at` NULL while they hold it, `picked` 1
# when ticketflow's own pick began it (dated when the action fell due). Partial indexes: each
# ticket's current hold (the mirror's lookup); the current holds by project and person (with
# every column a load reads, `left_at` too, so SQLite counts from the index alone), and the
# ended ones by when they ended (a load reads those two ranges, not the whole history).
# The tickets already mirrored start with their current holder, from when their status began.
_ASSIGNEE_HISTORY = """
CREATE TABLE assignee_history (
    id INTEGER PRIMARY KEY,
    issue_id TEXT NOT NULL,
    project TEXT NOT NULL,
    assignee TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    left_at TEXT,
    picked INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX assignee_history_current ON assignee_history (issue_id) WHERE left_at IS NULL;
CREATE INDEX assignee_history_held
    ON assignee_history (project, assignee, entered_at, picked, left_at) WHERE left_at IS NULL;
CREATE INDEX assignee_history_ended ON assignee_history (project, left_at)
    WHERE left_at IS NOT NULL;
INSERT INTO assignee_history (issue_id, project, assignee, entered_at)
    SELECT issue_id, project, assignee, status_since FROM tickets
    WHERE open = 1 AND assignee IS NOT NULL;
"""

# The fencing token in a unique index: on PostgreSQL that makes a take-over (a new token) a key
# update, which waits for the fenced transactions holding the lease row FOR KEY SHARE and
# refuses those that come after (connector.state.fence). SQLite gets the same index.
_LEASE_TOKEN = "CREATE UNIQUE INDEX leases_token ON leases (name, token);"  # noqa: S105 - DDL


def _lease_fence_postgres(db: Database) -> None:
    """The token's index, and the fence's trigger function and triggers."""
    db.execute(_LEASE_TOKEN)
    install_postgres_fence(db)


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", _INITIAL, on_postgres(_INITIAL, rowid=["ledger"])),
    Migration("0002_meta", _META),
    Migration("0003_message_ids", _MESSAGE_IDS, on_postgres(_MESSAGE_IDS, rowid=["message_ids"])),
    Migration("0004_suppressions", _SUPPRESSIONS),
    Migration("0005_feedback", _FEEDBACK, on_postgres(_FEEDBACK)),
    Migration("0006_mail_intake", _MAIL_INTAKE, on_postgres(_MAIL_INTAKE, rowid=["mail_intake"])),
    Migration("0007_typed_ledger", _typed_ledger),
    Migration("0009_mail_intake_outages", _MAIL_INTAKE_OUTAGES, on_postgres(_MAIL_INTAKE_OUTAGES)),
    Migration("0011_status_history", _STATUS_HISTORY, on_postgres(_STATUS_HISTORY)),
    Migration("0012_opaque_bookmarks", _OPAQUE_BOOKMARKS),
    Migration("0013_due_index", _DUE_INDEX),
    Migration("0014_typed_notes", typed_notes),
    Migration("0015_leases", _LEASES, _LEASES_POSTGRES),
    Migration("0016_assignee_history", _ASSIGNEE_HISTORY, on_postgres(_ASSIGNEE_HISTORY)),
    Migration("0017_lease_fence", _LEASE_TOKEN, _lease_fence_postgres),
)
