"""SMTP trouble against real servers on loopback: a refusal of one recipient or one message
fails that message; trouble with the server or the connection pauses delivery and fails
nothing; a server that accepts connections and never answers costs one timeout per pass,
not one per message."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.mail.outbox import deliver
from connector.mail.smtp import SmtpMailer, SmtpTarget
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore

from .smtp_sink import PASSWORD, BareServer, SmtpServer, free_port

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
HELPDESK = "redcap_helpdesk@example.edu"
VICTIM = "gone@uni.example.edu"
RECIPIENTS = ("pat@uni.example.edu", VICTIM, "sam@uni.example.edu")
CRON = timedelta(minutes=5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStateStore]:
    store = SqliteStateStore(tmp_path / "state.db")
    yield store
    store.close()


def _queue(store: SqliteStateStore, recipients: tuple[str, ...]) -> None:
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"e{n}", issue_key=f"HELP-{n}", template="t",
                      recipient=to, created_at=NOW,
                      message=(f"From: {HELPDESK}\r\nTo: {to}\r\nSubject: [HELP-{n}] x\r\n"
                               f"Message-ID: <e{n}@example.edu>\r\n\r\nHello\r\n").encode())
        for n, to in enumerate(recipients)]))


def _smtp(server: SmtpServer, password: str = PASSWORD) -> SmtpMailer:
    return SmtpMailer(SmtpTarget.parse(server.url), password=password)


def _rcpt(reply: str) -> Callable[[SmtpServer], None]:
    def arrange(server: SmtpServer) -> None:
        server.sink.rcpt_replies[VICTIM] = reply
    return arrange


def _data(reply: str) -> Callable[[SmtpServer], None]:
    def arrange(server: SmtpServer) -> None:
        server.sink.reply = reply
    return arrange


def _mail_from(reply: str) -> Callable[[SmtpServer], None]:
    def arrange(server: SmtpServer) -> None:
        server.sink.mail_reply = reply
    return arrange


@pytest.mark.parametrize(("arrange", "expected"), [
    (_rcpt("550 5.1.1 no such user"), {"sent": 2, "failed": 1, "retried": 0}),
    (_rcpt("450 4.2.1 try this one later"), {"sent": 2, "failed": 0, "retried": 1}),
    (_data("554 5.7.1 message refused as spam"), {"sent": 0, "failed": 3, "retried": 0}),
], ids=["rcpt-5xx", "rcpt-4xx", "data-5xx"])
def test_a_refusal_naming_one_message_concerns_that_message(
        tmp_path: Path, store: SqliteStateStore, arrange: Callable[[SmtpServer], None],
        expected: dict[str, int]) -> None:
    """RCPT TO refused for one address fails (5xx) or defers (4xx) that message only; a 5xx
    after DATA fails each message it answers; delivery is not paused."""
    _queue(store, RECIPIENTS)
    with SmtpServer(tmp_path) as server:
        arrange(server)
        result = deliver(store, _smtp(server), sender=HELPDESK, now=NOW)
        assert {k: getattr(result, k) for k in expected} == expected
        assert result.error == ""
        assert len(server.sink.received) == expected["sent"]


@pytest.mark.parametrize(("arrange", "said"), [
    (_data("421 4.3.2 shutting down"), "421 4.3.2"),
    (_mail_from("451 4.3.0 queue full, try later"), "MAIL FROM refused: 451"),
    (_mail_from("554 5.7.1 relaying suspended for this account"), "MAIL FROM refused: 554"),
    (None, "authentication failed (535)"),
], ids=["data-421", "mail-from-4xx", "mail-from-5xx", "auth"])
def test_trouble_with_the_server_pauses_and_fails_nothing(
        tmp_path: Path, store: SqliteStateStore,
        arrange: Callable[[SmtpServer], None] | None, said: str) -> None:
    """A 421, a MAIL FROM refusal (4xx or 5xx: it is about us, not the message) or a refused
    login: one try, then delivery pauses with the server's words; every message stays
    pending with no attempt counted."""
    _queue(store, RECIPIENTS)
    with SmtpServer(tmp_path) as server:
        if arrange is not None:
            arrange(server)
        mailer = _smtp(server, PASSWORD if arrange is not None else "wrong password")
        result = deliver(store, mailer, sender=HELPDESK, now=NOW)
        assert (result.sent, result.failed, result.retried) == (0, 0, 0)
        assert "mail delivery paused" in result.error and said in result.error
        assert [(m.attempts, m.last_error) for m in store.outbox(["pending"])] == [(0, "")] * 3


@pytest.mark.parametrize("greeting", ["554 5.3.2 no service here", "421 4.3.2 too busy"])
def test_a_greeting_refusal_or_no_server_pauses(store: SqliteStateStore,
                                                greeting: str) -> None:
    """A server that greets with 4xx or 5xx, or no server at all: paused, nothing failed."""
    _queue(store, RECIPIENTS)
    with BareServer(greeting) as server:
        mailer = SmtpMailer(SmtpTarget.parse(server.url + "&timeout=5"), password=None)
        result = deliver(store, mailer, sender=HELPDESK, now=NOW)
        assert greeting.split(maxsplit=1)[0] in result.error and result.failed == 0
        assert server.connections == 1
    refused = SmtpMailer(SmtpTarget.parse(f"smtp://127.0.0.1:{free_port()}?timeout=5"),
                         password=None)
    later = deliver(store, refused, sender=HELPDESK, now=NOW.replace(hour=15))
    assert "ConnectionRefusedError" in later.error and "2 failed tries" in later.error
    assert store.outbox_counts() == {"pending": 3}


def test_a_hanging_server_costs_one_timeout_per_pass_not_one_per_message(
        store: SqliteStateStore) -> None:
    """100 queued messages and a server that accepts the connection and never answers: the
    pass waits out one timeout (1 s here; 30 s by default), not 100, then pauses; the
    messages are untouched."""
    _queue(store, tuple(f"user{n}@uni.example.edu" for n in range(100)))
    with BareServer(greeting=None) as server:
        mailer = SmtpMailer(SmtpTarget.parse(server.url + "&timeout=1"), password=None)
        started = time.monotonic()
        result = deliver(store, mailer, sender=HELPDESK, now=NOW)
        elapsed = time.monotonic() - started
        assert server.connections == 1
    assert elapsed < 5, elapsed
    assert "TimeoutError" in result.error or "timed out" in result.error
    assert store.outbox_counts() == {"pending": 100}


def test_cron_through_a_two_hour_outage_then_every_message_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ticketflow once` every 5 minutes while the SMTP server refuses service for two hours:
    each run still syncs (the tickets are acknowledged and queued), exits 1 saying delivery
    is stuck and why, and the server is tried about 8 times, not 24; nothing is failed. The
    first runs after it is back deliver each acknowledgement exactly once."""
    from jira import JIRA

    from connector.cli import main
    from connector.sandbox import API_TOKEN, API_USER, Sandbox

    root = Path(__file__).resolve().parents[2]
    with Sandbox("cloud", now=NOW) as sandbox, BareServer("421 4.3.2 maintenance") as down, \
            SmtpServer(tmp_path) as up:
        for name, value in {"JIRA_URL": sandbox.url, "JIRA_EMAIL": API_USER,
                            "JIRA_TOKEN": API_TOKEN, "STATE_DB": str(tmp_path / "state.db"),
                            "SMTP_URL": down.url + "&timeout=5",
                            "PUBLIC_URL": "https://helpdesk.example.edu"}.items():
            monkeypatch.setenv(f"TICKETFLOW_{name}", value)
        assert main(["install-scheme", "--config-dir", str(root)]) == 0
        now = NOW

        def once() -> int:
            sandbox.set_clock(now)
            return main(["once", "--now", now.isoformat(), "--config-dir", str(root)])

        assert once() == 0  # first run: backfill of an empty project, nothing to send
        jira = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN),
                    max_retries=0)
        for n in range(5):
            jira.create_issue(fields={"project": {"key": "HELP"}, "summary": f"Request {n}",
                                      "issuetype": {"name": "Service Request"},
                                      "customfield_10072": f"customer{n}@uni.example.edu"})
        capsys.readouterr()
        codes = []
        for _ in range(24):  # two hours of cron
            now += CRON
            codes.append(once())
        err = capsys.readouterr().err
        assert codes == [1] * 24 and 6 <= down.connections <= 9
        assert "delivery stuck: mail delivery paused since" in err and "421 4.3.2" in err
        store = SqliteStateStore(tmp_path / "state.db")
        assert store.outbox_counts() == {"pending": 5}
        store.close()

        monkeypatch.setenv("TICKETFLOW_SMTP_URL", up.url)
        monkeypatch.setenv("TICKETFLOW_SMTP_PASSWORD", PASSWORD)
        recovered = 0
        while once() != 0:
            recovered += 1
            now += CRON
        assert recovered <= 12  # the wait is at most an hour
        for _ in range(3):
            now += CRON
            assert once() == 0
        received = sorted(item.rcpt_tos[0] for item in up.sink.received)
        assert received == [f"customer{n}@uni.example.edu" for n in range(5)]
