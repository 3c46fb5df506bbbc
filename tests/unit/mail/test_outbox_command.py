"""`ticketflow outbox`: failures and pauses are visible; messages can be retried (one or all)
or dropped by hand, safely twice, and a sent one is never sent again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.cli import main
from connector.mail.outbox import OutboxDirMailer, deliver
from connector.mail.pause import Pauses
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
        for n in (1, 2, 3, 4)]))
    store.mark_failed(1, error="550 5.1.1 no such user")
    store.mark_sent(3, at=NOW)
    store.mark_failed(4, error="not sent: rate limit", attempted=False)
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
    assert out.splitlines()[-1] == "1 pending, 2 failed"
    assert main(["outbox", "list", "--all"]) == 0
    assert "HELP-3" in capsys.readouterr().out


def test_retry_and_drop(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`retry ID` makes a failed message due again with fresh attempts; `drop ID` gives one
    up; a sent message can be neither; an unknown ID or a missing one is a usage error."""
    assert main(["outbox", "retry", "1"]) == 0
    assert main(["outbox", "drop", "2"]) == 0
    assert _statuses(state) == {1: ("pending", 0), 2: ("dropped", 0), 3: ("sent", 1),
                                4: ("failed", 0)}
    assert main(["outbox", "retry", "3"]) == 2
    assert main(["outbox", "drop", "2"]) == 2
    assert main(["outbox", "drop", "99"]) == 2
    assert main(["outbox", "retry"]) == 2
    assert "needs the message number (ID) or --all" in capsys.readouterr().err
    assert main(["outbox", "retry", "1", "--all"]) == 2


def test_retry_all_twice_releases_failed_ones_and_never_resends(
        state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`retry --all` releases every failed message (a refusal, a rate-limit hold) and a
    delivery pause; run twice, it changes nothing more; the next delivery sends each released
    message once, and the one sent before is not sent again."""
    store = SqliteStateStore(state)
    Pauses(store).record("mail", NOW, "SMTP mail.example.edu:587: ConnectionRefusedError")
    store.close()
    assert main(["outbox"]) == 0
    assert capsys.readouterr().out.startswith("mail delivery paused since")
    assert main(["outbox", "retry", "--all"]) == 0
    assert main(["outbox", "retry", "--all"]) == 0
    out = capsys.readouterr().out
    assert "2 failed messages will be sent" in out and "0 failed messages will be sent" in out
    assert out.count("delivery pause ended") == 1
    assert _statuses(state) == {1: ("pending", 0), 2: ("pending", 0), 3: ("sent", 1),
                                4: ("pending", 0)}
    store = SqliteStateStore(state)
    try:
        assert Pauses(store).active() == []
        result = deliver(store, OutboxDirMailer(tmp_path / "outbox"), sender="h@example.edu",
                         now=NOW)
    finally:
        store.close()
    assert result.sent == 3
    assert sorted(p.name.split("-")[1] for p in (tmp_path / "outbox").glob("*.eml")) == \
        ["1", "2", "4"]
