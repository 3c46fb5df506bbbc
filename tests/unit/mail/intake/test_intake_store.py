"""Intake's own records, on both backends: attempts count refusals only, outages count as
waits, UIDs and handles work the same, and a state file from before 0009 keeps its finished
mail as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connector.state.intake import IntakeStore
from connector.state.migrations import MIGRATIONS, apply_migrations
from connector.state.sqlite import SqliteStateStore, connect
from connector.state.store import SqlStateStore

AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _begin(book: IntakeStore, key: str) -> None:
    book.begin(key, message_id=key, mailbox="maildir:x", ref="new/1", kind="ordinary",
               sender="pat@uni.example.edu", automatic=False, at=AT)


def test_reading_a_mail_again_counts_nothing_refusals_and_waits_are_apart(
        state_store: SqlStateStore) -> None:
    """A mail read on three passes has no attempt for that; a refusal counts one attempt, an
    outage one wait, each keeping the last error for operators."""
    book = IntakeStore(state_store.db)
    for _ in range(3):
        _begin(book, "<m@x>")
    record = book.record("<m@x>")
    assert record is not None and (record.attempts, record.waits) == (0, 0)
    book.postponed("<m@x>", "POST /issue: Jira answered HTTP 503")
    record = book.refused("<m@x>", "POST /issue: Jira answered HTTP 400: summary too long")
    assert (record.attempts, record.waits) == (1, 1)
    assert record.last_error.endswith("summary too long")


def test_uids_only_move_forward_and_a_new_uidvalidity_forgets_them(
        state_store: SqlStateStore) -> None:
    """A folder's highest handled UID never goes back (a late, lower UID leaves it), its
    remembered targets are found until the message leaves, and a new UIDVALIDITY starts the
    folder afresh. UIDs up to 2^32 - 1 fit."""
    book = IntakeStore(state_store.db)
    big = 2**32 - 1
    book.reset_folder("INBOX", 7)
    book.remember_uid("INBOX", 7, big, "<a@x>", "Processed")
    book.remember_uid("INBOX", 7, 5, "<b@x>", "Quarantine")
    assert book.folder("INBOX") == (7, big)
    assert book.uid_target("INBOX", 7, 5) == "Quarantine"
    book.remember_uid("INBOX", 7, 5, "<b@x>", "Processed")  # written again: the new target
    assert book.uid_target("INBOX", 7, 5) == "Processed"
    book.forget_uid("INBOX", 7, 5)
    assert book.uid_target("INBOX", 7, 5) is None
    book.reset_folder("INBOX", 8)
    assert book.folder("INBOX") == (8, 0)
    assert book.uid_target("INBOX", 7, big) is None


def test_a_quarantined_mail_is_found_by_its_number_and_released_once(
        state_store: SqlStateStore) -> None:
    """`mail list` numbers each record; the number (or the Message-ID) finds it, and a release
    puts it back to waiting exactly once."""
    book = IntakeStore(state_store.db)
    _begin(book, "<first@x>")
    _begin(book, "<bad@x>")
    book.finish("<bad@x>", outcome="quarantine", at=AT, reason="no sender")
    [quarantined] = book.quarantined()
    assert book.by_handle(str(quarantined.number)) == quarantined
    assert book.by_handle("bad@x") == quarantined
    assert book.by_handle("999") is None
    assert book.release("<bad@x>", at=AT) and not book.release("<bad@x>", at=AT)
    assert [r.mail_key for r in book.waiting()] == ["<first@x>", "<bad@x>"]
    assert book.counts() == {"unfinished": 2}

def test_an_older_state_file_forgets_outage_attempts_of_unfinished_mail(tmp_path: Path) -> None:
    """Upgrading past 0009: unfinished mail starts again from zero refused attempts (the old
    count included outages, which no longer count), finished mail keeps its record."""
    path = tmp_path / "state.db"
    raw = connect(str(path))
    before = [m for m in MIGRATIONS if m.name < "0009"]
    apply_migrations(raw, migrations=before)
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
