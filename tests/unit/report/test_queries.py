"""The report's queries read a real state file, written the way the service writes it."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from connector.config.loader import load_config, shipped_dir
from connector.domain import Ticket
from connector.errors import FatalError, UsageError
from connector.report.figures import build
from connector.report.queries import SqliteReportSource
from connector.report.records import Scope
from connector.state.base import Transaction
from connector.state.feedback import record
from connector.state.intake import IntakeStore
from connector.state.migrations import MIGRATIONS, apply_migrations
from connector.state.sqlite import SqliteStateStore

from .known import ANSWERS, MAIL, NOW, SINCE, STAYS, TICKETS, at, state


def _versions() -> list[list[Ticket]]:
    """The known tickets as successive polls saw them (each list is one commit)."""
    one, two, three, four = TICKETS
    return [
        [replace(one, status="Pending", status_since=at(11, 30, 8), tier=1, open=True),
         replace(two, status="Pending", status_since=at(11, 30, 8, 10)),
         replace(three, status="Reviewing", status_since=at(11, 25, 10), open=True)],
        [replace(one, status="Reviewing", status_since=at(11, 30, 9), tier=1, open=True),
         replace(three)],
        [replace(one, status="Assigned", status_since=at(11, 30, 11), open=True),
         replace(two)],
        [replace(one, status="In Progress", status_since=at(12, 1, 10), open=True)],
        [one, four],
    ]


def fill(path: Path) -> None:
    """Write the known week into a state file through the store, intake and feedback APIs."""
    store = SqliteStateStore(path)
    try:
        for tickets in _versions():
            store.commit(Transaction(tickets=tickets))
        for answer in ANSWERS:
            record(store, answer.issue_key, answer.resolution, score=answer.score,
                   comment=answer.comment, at=answer.first_at)
        intake = IntakeStore(store.db)
        for number, mail in enumerate(MAIL):
            key = f"mail-{number}"
            intake.begin(key, message_id=f"<{number}@example.edu>", mailbox="INBOX",
                         ref=str(number), kind=mail.kind, sender="x@example.edu",
                         automatic=mail.kind != "ordinary", at=mail.received_at)
            if mail.reopened:
                intake.mark(key, "reopened")
            if mail.done:
                assert mail.outcome is not None
                intake.finish(key, outcome=mail.outcome,  # type: ignore[arg-type]
                              at=mail.received_at, issue_key=mail.issue_key)
    finally:
        store.close()


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "ticketflow.db"
    fill(path)
    return path


def test_the_state_file_reads_back_as_the_known_week(filled: Path) -> None:
    """The history the store wrote is the known one, stay for stay; answers and mail before
    the period are left out; the open tickets come whole, oldest first."""
    read = SqliteReportSource(filled).read(Scope(SINCE, NOW))
    assert read.stays == STAYS
    assert sorted(read.answers, key=lambda a: a.issue_key) == ANSWERS[:2]
    assert sorted(read.mail, key=lambda m: m.received_at) == MAIL[:7]
    assert [t.key for t in read.tickets] == ["HELP-1", "HELP-2", "HELP-3", "HELP-4"]
    assert read.oldest_open == [t for t in TICKETS if t.open]
    assert read.history_since == at(11, 25, 10)


def test_figures_from_the_file_equal_figures_from_plain_values(filled: Path) -> None:
    """Every figure computed from the real SQLite file is the one computed from the known
    values: the queries and the arithmetic agree."""
    config = load_config(shipped_dir())
    from_file = build(SqliteReportSource(filled).read(Scope(SINCE, NOW)), config)
    assert from_file == build(state(), config)


def test_one_project_leaves_out_the_others(filled: Path) -> None:
    """With --project, tickets, their history, answers and mail of another project are not
    read."""
    store = SqliteStateStore(filled)
    try:
        other = replace(TICKETS[1], issue_id="99", key="OPS-1", project="OPS")
        store.commit(Transaction(tickets=[other]))
        record(store, "OPS-1", 1, score=1, comment="other project", at=at(12, 3, 9))
    finally:
        store.close()
    both = SqliteReportSource(filled).read(Scope(SINCE, NOW))
    help_only = SqliteReportSource(filled).read(Scope(SINCE, NOW, "HELP"))
    assert "OPS-1" in {t.key for t in both.tickets}
    assert {t.project for t in help_only.tickets} == {"HELP"}
    assert "OPS-1" not in {s.issue_key for s in help_only.stays}
    assert "OPS-1" not in {a.issue_key for a in help_only.answers}
    assert {m.issue_key for m in help_only.mail} <= {"HELP-1", "HELP-2", "HELP-3"}


def test_only_tickets_of_the_period_or_still_open_are_read(filled: Path) -> None:
    """A period starting after HELP-1 and HELP-3 last changed reads only the open tickets."""
    read = SqliteReportSource(filled).read(Scope(at(12, 3, 0), NOW))
    assert [t.key for t in read.tickets] == ["HELP-2", "HELP-4"]
    assert {s.issue_key for s in read.stays} == {"HELP-2", "HELP-4"}


def test_reading_changes_nothing_in_the_file(filled: Path) -> None:
    """The report opens the state read-only: the file's bytes are the same afterwards."""
    before = hashlib.sha256(filled.read_bytes()).hexdigest()
    SqliteReportSource(filled).read(Scope(SINCE, NOW + timedelta(days=3)))
    assert hashlib.sha256(filled.read_bytes()).hexdigest() == before


def test_a_missing_state_file_is_a_usage_error(tmp_path: Path) -> None:
    """No state yet: the user is told to run the service first, and no file is created."""
    missing = tmp_path / "none.db"
    with pytest.raises(UsageError, match="run `ticketflow once`"):
        SqliteReportSource(missing).read(Scope(SINCE, NOW))
    assert not missing.exists()


def test_a_state_file_not_yet_upgraded_says_how_to_upgrade_it(tmp_path: Path) -> None:
    """A file from before the status history cannot be migrated by a read-only report: it
    says to start the service once."""
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        apply_migrations(raw, location=str(path),
                         migrations=[m for m in MIGRATIONS if m.name < "0011"])
    with pytest.raises(FatalError, match="start `ticketflow once` or `run` once to upgrade"):
        SqliteReportSource(path).read(Scope(SINCE, NOW))
