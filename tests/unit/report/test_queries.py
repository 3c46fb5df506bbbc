"""The report's queries read a real state, written the way the service writes it, on both
backends (a SQLite file, a PostgreSQL schema)."""

from __future__ import annotations

import hashlib
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from connector.config.loader import load_config, shipped_dir
from connector.errors import FatalError, UsageError
from connector.report.figures import build
from connector.report.queries import StateReportSource
from connector.report.records import Scope, StayRow
from connector.state.base import Transaction
from connector.state.feedback import record
from connector.state.location import open_state
from connector.state.migrations import MIGRATIONS, apply_migrations
from connector.state.sqlite import connect

from .known import ANSWERS, MAIL, NOW, SINCE, STAYS, TICKETS, at, fill, state


def _per_ticket(stays: list[StayRow]) -> dict[str, list[StayRow]]:
    grouped: dict[str, list[StayRow]] = {}
    for stay in stays:
        grouped.setdefault(stay.issue_key, []).append(stay)
    return grouped


@pytest.fixture
def filled(state_location: str) -> str:
    """The known week in the test's own state, on each backend."""
    fill(state_location)
    return state_location


def test_the_state_file_reads_back_as_the_known_week(filled: str) -> None:
    """The history the store wrote is the known one, stay for stay; answers and mail before
    the period are left out; the open tickets come whole, oldest first."""
    read = StateReportSource(filled).read(Scope(SINCE, NOW))
    assert _per_ticket(read.stays) == _per_ticket(STAYS)  # in order within each ticket
    assert sorted(read.answers, key=lambda a: a.issue_key) == ANSWERS[:2]
    assert sorted(read.mail, key=lambda m: m.received_at) == MAIL[:7]
    assert [t.key for t in read.tickets] == ["HELP-1", "HELP-2", "HELP-3", "HELP-4"]
    assert read.oldest_open == [t for t in TICKETS if t.open]
    assert read.history_since == at(11, 25, 10)


def test_figures_from_the_file_equal_figures_from_plain_values(filled: str) -> None:
    """Every figure computed from the real state is the one computed from the known
    values: the queries and the arithmetic agree."""
    config = load_config(shipped_dir())
    from_file = build(StateReportSource(filled).read(Scope(SINCE, NOW)), config)
    assert from_file == build(state(), config)


def test_one_project_leaves_out_the_others(filled: str) -> None:
    """With --project, tickets, their history, answers and mail of another project are not
    read."""
    store = open_state(filled)
    try:
        other = replace(TICKETS[1], issue_id="99", key="OPS-1", project="OPS")
        store.commit(Transaction(tickets=[other]))
        record(store, "OPS-1", 1, score=1, comment="other project", at=at(12, 3, 9))
    finally:
        store.close()
    both = StateReportSource(filled).read(Scope(SINCE, NOW))
    help_only = StateReportSource(filled).read(Scope(SINCE, NOW, "HELP"))
    assert "OPS-1" in {t.key for t in both.tickets}
    assert {t.key.partition("-")[0] for t in help_only.tickets} == {"HELP"}
    assert "OPS-1" not in {s.issue_key for s in help_only.stays}
    assert "OPS-1" not in {a.issue_key for a in help_only.answers}
    assert {m.issue_key for m in help_only.mail} <= {"HELP-1", "HELP-2", "HELP-3"}


def test_only_tickets_of_the_period_or_still_open_are_read(filled: str) -> None:
    """A period starting Thursday, after HELP-1 and HELP-3 last changed, reads only the open
    tickets, and of the status history only the stays still going on (HELP-2's Pending,
    ended Monday, is not read)."""
    read = StateReportSource(filled).read(Scope(at(12, 3, 0), NOW))
    assert [t.key for t in read.tickets] == ["HELP-2", "HELP-4"]
    assert {(s.issue_key, s.to_status) for s in read.stays} == {
        ("HELP-1", "Complete"), ("HELP-2", "Reviewing"), ("HELP-3", "Complete"),
        ("HELP-4", "Reviewing")}


def test_reading_changes_nothing_in_the_file(tmp_path: Path) -> None:
    """The report opens the state read-only: the file's bytes are the same afterwards."""
    filled = tmp_path / "ticketflow.db"
    fill(filled)
    before = hashlib.sha256(filled.read_bytes()).hexdigest()
    StateReportSource(filled).read(Scope(SINCE, NOW + timedelta(days=3)))
    assert hashlib.sha256(filled.read_bytes()).hexdigest() == before


def test_a_missing_state_file_is_a_usage_error(tmp_path: Path) -> None:
    """No state yet: the user is told to run the service first, and no file is created."""
    missing = tmp_path / "none.db"
    with pytest.raises(UsageError, match="run `ticketflow once`"):
        StateReportSource(missing).read(Scope(SINCE, NOW))
    assert not missing.exists()


def test_a_state_file_not_yet_upgraded_says_how_to_upgrade_it(tmp_path: Path) -> None:
    """A file from before the status history cannot be migrated by a read-only report: it
    says to start the service once."""
    path = tmp_path / "old.db"
    with closing(connect(str(path))) as raw:
        apply_migrations(raw, migrations=[m for m in MIGRATIONS if m.name < "0011"])
    with pytest.raises(FatalError, match="start `ticketflow once` or `run` once to upgrade"):
        StateReportSource(path).read(Scope(SINCE, NOW))
