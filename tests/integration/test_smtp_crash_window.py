"""The one crash window of delivery, against a real SMTP server: a crash after the server
accepted a message and before the outbox recorded it re-sends that message once, never
more; and how often a crash lands in that window."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.mail.outbox import deliver
from connector.mail.smtp import SmtpMailer, SmtpTarget
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore

from .smtp_sink import PASSWORD, SmtpServer, WindowMeter

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
HELPDESK = "redcap_helpdesk@example.edu"


def _queue(store: SqliteStateStore, count: int) -> None:
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"e{n}", issue_key=f"HELP-{n}", template="t",
                      recipient=f"user{n}@uni.example.edu", created_at=NOW,
                      message=f"Subject: {n}\r\nMessage-ID: <m{n}@example.edu>\r\n\r\nx\r\n"
                      .encode())
        for n in range(count)]))


class CrashAfterAccept:
    """Passes the message to the server, then the process dies (SystemExit) on message N."""

    def __init__(self, inner: SmtpMailer, crash_on: int) -> None:
        self.inner, self.crash_on, self.calls = inner, crash_on, 0

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        self.inner.send(message, sender=sender, recipient=recipient, name=name)
        self.calls += 1
        if self.calls == self.crash_on:
            raise SystemExit("killed after the server accepted, before the outbox recorded")

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("crash_on", [1, 4, 10])
def test_crash_in_the_window_repeats_exactly_one_message(tmp_path: Path, crash_on: int) -> None:
    """Ten messages; the process is killed right after the server accepted message N. After a
    restart, the server has received every message, and message N exactly twice."""
    store = SqliteStateStore(tmp_path / "state.db")
    _queue(store, 10)
    with SmtpServer(tmp_path) as server:
        url = SmtpTarget.parse(server.url)
        with pytest.raises(SystemExit):
            deliver(store, CrashAfterAccept(SmtpMailer(url, password=PASSWORD), crash_on),
                    sender=HELPDESK, now=NOW)
        store.close()
        store = SqliteStateStore(tmp_path / "state.db")  # the restart
        result = deliver(store, SmtpMailer(url, password=PASSWORD), sender=HELPDESK,
                         now=NOW + timedelta(minutes=1))
        subjects = [r.data.split(b"\r\n", 1)[0] for r in server.sink.received]
    store.close()
    assert result.sent == 10 - crash_on + 1
    assert len(subjects) == 11 and len(set(subjects)) == 10
    assert [s for s in set(subjects) if subjects.count(s) > 1] == [f"Subject: {crash_on - 1}"
                                                                    .encode()]


def test_how_often_a_crash_lands_in_the_window(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Over 100 messages through STARTTLS + AUTH, the share of delivery time spent between
    "accepted" and "recorded": the chance that a crash at a random moment of delivery
    produces a duplicate (bench/outbox_window.py measures more messages)."""
    store = SqliteStateStore(tmp_path / "state.db")
    _queue(store, 100)
    meter = WindowMeter()
    with SmtpServer(tmp_path) as server:
        mailer: Any = meter.mailer(SmtpMailer(SmtpTarget.parse(server.url), password=PASSWORD))
        start = time.perf_counter()
        result = deliver(meter.store(store), mailer, sender=HELPDESK, now=NOW)
        total = time.perf_counter() - start
    store.close()
    assert result.sent == meter.sends == 100
    share = meter.window / total
    assert 0 < share < 1
    with capsys.disabled():
        print(f"\ncrash window: {meter.window * 1000 / 100:.2f} ms per message, "
              f"{share:.1%} of delivery time over 100 messages")
