"""Migration 0014_typed_notes: the values kept as `meta` key-value rows move to real tables.

Each kind of value gets a table with typed columns (connector.state.notes reads and writes
them), and the rows an older ticketflow wrote are carried over and removed from `meta`.
What is left in `meta` afterwards is only what a tracker adapter keeps about its tracker in
its own shape (`TrackerNotes`: Jira's detected flavor, its own user, its clock's offset, under
the keys it always used): ticketflow's core interprets none of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from connector.state.migrate import on_postgres, statements
from connector.state.sql import Database
from connector.state.timestamps import to_text

TABLES = """
-- When each project's first run took its census of open tickets (the tracker's clock).
CREATE TABLE baselines (
    project TEXT PRIMARY KEY,
    taken_at TEXT NOT NULL
);
-- The last census of open tickets per project: when, and tracker count minus mirror count.
CREATE TABLE censuses (
    project TEXT PRIMARY KEY,
    taken_at TEXT NOT NULL,
    gap INTEGER NOT NULL
);
-- When the circuit breaker last said it tripped for a ticket (it says so once an hour).
CREATE TABLE breaker_reports (
    issue_key TEXT PRIMARY KEY,
    reported_at TEXT NOT NULL
);
-- Each message delivered to a recipient, for the flood limit; older than its window, pruned.
CREATE TABLE recipient_sends (
    address TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX recipient_sends_by_address ON recipient_sends (address, sent_at);
CREATE INDEX recipient_sends_by_time ON recipient_sends (sent_at);
-- A flood stopped by the rate limit is reported once, until its suppression ends.
CREATE TABLE flood_reports (
    address TEXT PRIMARY KEY,
    until TEXT NOT NULL
);
-- A channel (mail, webhook) whose server is down: since when, how many tries, next try.
CREATE TABLE delivery_pauses (
    channel TEXT PRIMARY KEY CHECK (channel IN ('mail', 'webhook')),
    since TEXT NOT NULL,
    failures INTEGER NOT NULL,
    until TEXT NOT NULL,
    reason TEXT NOT NULL
);
-- Keys this installation made for itself, once: Message-IDs, feedback links.
CREATE TABLE installation_keys (
    name TEXT PRIMARY KEY CHECK (name IN ('message-id', 'feedback-signing')),
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- The fingerprint of the configuration last checked against a tracker, by its base URL.
CREATE TABLE config_checks (
    tracker_url TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);
-- When the status history began (the upgrade that started it), on the tracker's clock.
CREATE TABLE history_origin (
    one INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
    since TEXT NOT NULL
);
-- What the tracker was last given for an answer (its satisfaction field, and the score and
-- comment the last internal comment told the team), and each answer sent from a link.
ALTER TABLE feedback ADD COLUMN field_written INTEGER;
ALTER TABLE feedback ADD COLUMN told_score INTEGER;
ALTER TABLE feedback ADD COLUMN told_comment TEXT;
CREATE TABLE feedback_posts (
    issue_key TEXT NOT NULL,
    resolution INTEGER NOT NULL,
    posted_at TEXT NOT NULL
);
CREATE INDEX feedback_posts_by_link ON feedback_posts (issue_key, resolution, posted_at);
"""


def _instant(text: str) -> str:
    """An ISO time as the state stores it (older rows kept `isoformat()` in any offset)."""
    return to_text(datetime.fromisoformat(text))


def _baseline(db: Database, project: str, value: str) -> None:
    db.execute("INSERT INTO baselines VALUES (?, ?) ON CONFLICT DO NOTHING",
               (project, _instant(value)))


def _breaker(db: Database, issue_key: str, value: str) -> None:
    db.execute("INSERT INTO breaker_reports VALUES (?, ?) ON CONFLICT DO NOTHING",
               (issue_key, _instant(value)))


def _sends(db: Database, address: str, value: str) -> None:
    db.executemany("INSERT INTO recipient_sends VALUES (?, ?)",
                   [(address, _instant(t)) for t in json.loads(value or "[]")])


def _flood(db: Database, address: str, value: str) -> None:
    db.execute("INSERT INTO flood_reports VALUES (?, ?) ON CONFLICT DO NOTHING",
               (address, _instant(value)))


def _pause(db: Database, channel: str, value: str) -> None:
    if value and channel in ("mail", "webhook"):
        data = json.loads(value)
        db.execute("INSERT INTO delivery_pauses VALUES (?, ?, ?, ?, ?)",
                   (channel, _instant(data["since"]), int(data["failures"]),
                    _instant(data["until"]), str(data["reason"])))


def _key(name: str) -> Callable[[Database, str, str], None]:
    def move(db: Database, _: str, value: str) -> None:
        db.execute("INSERT INTO installation_keys VALUES (?, ?, '') ON CONFLICT DO NOTHING",
                   (name, value))
    return move


def _written(db: Database, link: str, value: str) -> None:
    issue_key, _, resolution = link.rpartition("#")
    data = json.loads(value)
    told = data.get("told")
    db.execute("UPDATE feedback SET field_written = ?, told_score = ?, told_comment = ? "
               "WHERE issue_key = ? AND resolution = ?",
               (data.get("field"), int(told[0]) if told else None,
                str(told[1]) if told else None, issue_key, int(resolution)))


def _posts(db: Database, link: str, value: str) -> None:
    issue_key, _, resolution = link.rpartition("#")
    db.executemany("INSERT INTO feedback_posts VALUES (?, ?, ?)",
                   [(issue_key, int(resolution), _instant(t)) for t in json.loads(value)])


def _verified(db: Database, url: str, value: str) -> None:
    db.execute("INSERT INTO config_checks VALUES (?, ?) ON CONFLICT DO NOTHING", (url, value))


# meta key prefix -> where its rows go (the rest of the key names the row).
_MOVES: dict[str, Callable[[Database, str, str], None]] = {
    "baseline ": _baseline, "circuit breaker ": _breaker, "sent to ": _sends,
    "rate limit reported ": _flood, "delivery pause ": _pause,
    "message-id key": _key("message-id"), "feedback signing key": _key("feedback-signing"),
    "feedback written ": _written, "feedback posts ": _posts, "config_verified ": _verified,
}  # fmt: skip


def typed_notes(db: Database) -> None:
    """Create the tables and move every value an older ticketflow kept in `meta` there."""
    for statement in statements(TABLES if db.dialect == "sqlite" else on_postgres(TABLES)):
        db.execute(statement)
    rows = db.execute("SELECT key, value FROM meta").fetchall()
    meta = dict(rows)
    for key, value in rows:
        for prefix, move in _MOVES.items():
            if key.startswith(prefix):
                move(db, key[len(prefix):], value)
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
                break
    if "census_at" in meta:
        # The census was one for the state's one project: it becomes that project's.
        db.execute("INSERT INTO censuses (project, taken_at, gap) SELECT project, ?, ? "
                   "FROM bookmarks", (_instant(meta["census_at"]),
                                      int(meta.get("census_gap") or 0)))
    if meta.get("status_history_since"):
        db.execute("INSERT INTO history_origin VALUES (1, ?)", (meta["status_history_since"],))
    db.execute("DELETE FROM meta WHERE key IN ('census_at', 'census_gap', "
               "'status_history_since')")
