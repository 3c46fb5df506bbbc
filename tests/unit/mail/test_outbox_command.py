"""`ticketflow outbox`: failures are visible, and can be retried or dropped by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.cli import main
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "state.db"
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(path))
    store = SqliteStateStore(path)
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"e{n}", issue_key=f"HELP-{n}", template="work_started",
                      recipient=f"user{n}@x.org", message=b"m", created_at=NOW)
        for n in (1, 2, 3)]))
    store.update_outbox(1, status="failed", attempts=8, next_attempt_at=None,
                        last_error="550 5.1.1 no such user", sent_at=None)
    store.update_outbox(3, status="sent", attempts=1, next_attempt_at=None, last_error="",
                        sent_at=NOW)
    store.close()
    return path


def _statuses(path: Path) -> dict[int, tuple[str, int]]:
    store = SqliteStateStore(path)
    try:
        return {m.id or 0: (m.status, m.attempts)
                for m in store.outbox(["pending", "failed", "sent", "dropped"])}
    finally:
        store.close()


def test_list_shows_pending_and_failed_with_the_error(state: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The default lists what still needs attention, with each failure's last error."""
    assert main(["outbox"]) == 0
    out = capsys.readouterr().out
    assert "550 5.1.1 no such user" in out and "HELP-2" in out and "HELP-3" not in out
    assert out.splitlines()[-1] == "1 pending, 1 failed"
    assert main(["outbox", "list", "--all"]) == 0
    assert "HELP-3" in capsys.readouterr().out


def test_retry_and_drop(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`retry ID` makes a failed message due again with fresh attempts; `drop ID` gives one
    up; a sent message can be neither; an unknown ID or a missing one is a usage error."""
    assert main(["outbox", "retry", "1"]) == 0
    assert main(["outbox", "drop", "2"]) == 0
    assert _statuses(state) == {1: ("pending", 0), 2: ("dropped", 0), 3: ("sent", 1)}
    assert main(["outbox", "retry", "3"]) == 2
    assert main(["outbox", "drop", "99"]) == 2
    assert main(["outbox", "retry"]) == 2
    assert "needs the message number" in capsys.readouterr().err
