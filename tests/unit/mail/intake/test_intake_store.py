"""Intake's own records: attempts count refusals only, outages count as waits, and a state
file from before 0009 keeps its finished mail as it was."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from connector.state.intake import IntakeStore
from connector.state.migrations import MIGRATIONS, apply_migrations
from connector.state.sqlite import SqliteStateStore

AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _begin(book: IntakeStore, key: str) -> None:
    book.begin(key, message_id=key, mailbox="maildir:x", ref="new/1", kind="ordinary",
               sender="pat@uni.example.edu", automatic=False, at=AT)


def test_reading_a_mail_again_counts_nothing_refusals_and_waits_are_apart() -> None:
    """A mail read on three passes has no attempt for that; a refusal counts one attempt, an
    outage one wait, each keeping the last error for operators."""
    store = SqliteStateStore(":memory:")
    book = IntakeStore(store.db)
    for _ in range(3):
        _begin(book, "<m@x>")
    record = book.record("<m@x>")
    assert record is not None and (record.attempts, record.waits) == (0, 0)
    book.postponed("<m@x>", "POST /issue: Jira answered HTTP 503")
    record = book.refused("<m@x>", "POST /issue: Jira answered HTTP 400: summary too long")
    assert (record.attempts, record.waits) == (1, 1)
    assert record.last_error.endswith("summary too long")
    store.close()


def test_an_older_state_file_forgets_outage_attempts_of_unfinished_mail(tmp_path: Path) -> None:
    """Upgrading past 0009: unfinished mail starts again from zero refused attempts (the old
    count included outages, which no longer count), finished mail keeps its record."""
    path = tmp_path / "state.db"
    raw = sqlite3.connect(path, isolation_level=None)
    before = [m for m in MIGRATIONS if m.name < "0009"]
    apply_migrations(raw, location=str(path), migrations=before)
    for key, state, attempts in (("<waiting@x>", "started", 4), ("<done@x>", "done", 2)):
        raw.execute("INSERT INTO mail_intake (mail_key, mailbox, ref, state, attempts, "
                    "received_at) VALUES (?, 'maildir:x', 'new/1', ?, ?, ?)",
                    (key, state, attempts, AT.isoformat()))
    raw.close()
    store = SqliteStateStore(path)
    book = IntakeStore(store.db)
    waiting, done = book.record("<waiting@x>"), book.record("<done@x>")
    assert waiting is not None and (waiting.attempts, waiting.waits) == (0, 0)
    assert done is not None and done.attempts == 2
    store.close()
