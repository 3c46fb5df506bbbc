"""The delivery step: sent once, retried with backoff, failed visibly, and a crash between
"accepted" and "recorded" repeats at most that one message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.errors import FatalError, RetriableError
from connector.mail.base import MessageRejectedError
from connector.mail.outbox import MAX_ATTEMPTS, OutboxDirMailer, Router, deliver
from connector.mail.suppress import DeliveryGuard
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
SENDER = "redcap_helpdesk@example.edu"


class FakeMailer:
    """Records what it is asked to send; fails the next sends as told."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.failures: list[Exception] = []
        self.closed = 0

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((recipient, message))

    def close(self) -> None:
        self.closed += 1


class CrashAfterAccept:
    """Delegates, then dies before delivery can record the send: the crash window."""

    def __init__(self, inner: FakeMailer, *, crash_on: int) -> None:
        self.inner = inner
        self.crash_on = crash_on
        self.calls = 0

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        self.inner.send(message, sender=sender, recipient=recipient, name=name)
        self.calls += 1
        if self.calls == self.crash_on:
            raise SystemExit("killed between accepted and recorded")

    def close(self) -> None:
        self.inner.close()


def _queue(store: SqliteStateStore, count: int, *, to: str = "pat@uni.example.edu") -> None:
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"e{n}", issue_key="HELP-1", template="t",
                      recipient=to, message=f"message {n}".encode(), created_at=NOW)
        for n in range(count)]))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStateStore]:
    store = SqliteStateStore(tmp_path / "state.db")
    yield store
    store.close()


def test_each_due_message_is_sent_once(store: SqliteStateStore) -> None:
    """Sent messages are marked sent and not sent again by the next pass."""
    _queue(store, 3)
    mailer = FakeMailer()
    assert deliver(store, mailer, sender=SENDER, now=NOW).sent == 3
    assert deliver(store, mailer, sender=SENDER, now=NOW + timedelta(minutes=5)).sent == 0
    assert len(mailer.sent) == 3 and mailer.closed == 2
    assert {m.status for m in store.outbox(["sent"])} == {"sent"}


def test_temporary_failures_back_off_then_fail_visibly(store: SqliteStateStore) -> None:
    """A 4xx waits 1, 2, 4 ... minutes; after MAX_ATTEMPTS it is failed with its last error."""
    _queue(store, 1)
    mailer = FakeMailer()
    mailer.failures = [RetriableError("421 try later")] * MAX_ATTEMPTS
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = deliver(store, mailer, sender=SENDER, now=now)
        assert (result.retried, result.failed) == ((1, 0) if attempt < MAX_ATTEMPTS else (0, 1))
        if attempt < MAX_ATTEMPTS:
            (pending,) = store.outbox(["pending"])
            assert pending.next_attempt_at == now + timedelta(minutes=min(2 ** (attempt - 1), 60))
            assert deliver(store, mailer, sender=SENDER, now=now).sent == 0  # not yet due
            now = pending.next_attempt_at
    (failed,) = store.outbox(["failed"])
    assert failed.attempts == MAX_ATTEMPTS and failed.last_error == "421 try later"


def test_a_refusal_fails_at_once(store: SqliteStateStore) -> None:
    """A 5xx (this message will never be accepted) is failed without retrying."""
    _queue(store, 1)
    mailer = FakeMailer()
    mailer.failures = [MessageRejectedError("550 no such user")]
    assert deliver(store, mailer, sender=SENDER, now=NOW).failed == 1
    (failed,) = store.outbox(["failed"])
    assert failed.last_error == "550 no such user"


def test_wrong_credentials_stop_the_pass_and_keep_the_message(store: SqliteStateStore) -> None:
    """A FatalError (authentication) is raised; the message stays pending, untouched."""
    _queue(store, 2)
    mailer = FakeMailer()
    mailer.failures = [FatalError("535 authentication failed")]
    with pytest.raises(FatalError):
        deliver(store, mailer, sender=SENDER, now=NOW)
    assert [m.attempts for m in store.outbox(["pending"])] == [0, 0]
    assert mailer.closed == 1


def test_blocked_recipients_are_failed_with_the_reason(store: SqliteStateStore) -> None:
    """A recipient suppressed after queueing (a bounce) is not sent to; the row says why."""
    _queue(store, 1)
    store.suppress("pat@uni.example.edu", reason="bounced: 5.1.1", until=NOW + timedelta(days=1),
                   at=NOW)
    guard = DeliveryGuard(store, limit=10, window=timedelta(hours=1))
    mailer = FakeMailer()
    assert deliver(store, mailer, sender=SENDER, now=NOW, guard=guard).blocked == 1
    assert mailer.sent == []
    (failed,) = store.outbox(["failed"])
    assert "bounced: 5.1.1" in failed.last_error


def test_flood_is_cut_at_the_rate_limit(store: SqliteStateStore) -> None:
    """25 messages to one address with a limit of 10 per hour: 10 go, 15 wait as failed."""
    _queue(store, 25)
    guard = DeliveryGuard(store, limit=10, window=timedelta(hours=1))
    mailer = FakeMailer()
    result = deliver(store, mailer, sender=SENDER, now=NOW, guard=guard)
    assert (result.sent, result.blocked) == (10, 15)


@pytest.mark.parametrize("crash_on", [1, 3, 5])
def test_a_crash_between_accepted_and_recorded_repeats_one_message(
        store: SqliteStateStore, crash_on: int) -> None:
    """The process dies right after the server accepted message N and before the outbox says
    so. The next run sends message N again (the one duplicate) and every other exactly once."""
    _queue(store, 5)
    server = FakeMailer()
    with pytest.raises(SystemExit):
        deliver(store, CrashAfterAccept(server, crash_on=crash_on), sender=SENDER, now=NOW)
    deliver(store, server, sender=SENDER, now=NOW + timedelta(minutes=1))
    bodies = [body for _, body in server.sent]
    duplicates = {b for b in bodies if bodies.count(b) > 1}
    assert duplicates == {f"message {crash_on - 1}".encode()}
    assert sorted(set(bodies)) == [f"message {n}".encode() for n in range(5)]
    assert len(bodies) == 6


def test_a_crash_while_recording_repeats_one_message(store: SqliteStateStore) -> None:
    """Same window from the other side: the store fails to record the send."""
    _queue(store, 3)

    class FailingRecord(SqliteStateStore):
        def update_outbox(self, message_id: int, **fields: object) -> None:  # type: ignore[override]
            raise SystemExit("disk gone")

    broken = FailingRecord(store.location)
    server = FakeMailer()
    with pytest.raises(SystemExit):
        deliver(broken, server, sender=SENDER, now=NOW)
    broken.close()
    deliver(store, server, sender=SENDER, now=NOW)
    bodies = [body for _, body in server.sent]
    assert len(bodies) == 4 and bodies.count(b"message 0") == 2


def test_router_sends_webhook_rows_to_the_webhook(tmp_path: Path) -> None:
    """`webhook:` rows go to the webhook sender, mail to the mailer; a webhook row with no
    webhook configured waits (retriable) instead of being mailed."""
    mail, hook = FakeMailer(), FakeMailer()
    Router(mail, hook).send(b"{}", sender=SENDER, recipient="webhook:bob@x.org", name="n")
    Router(mail, hook).send(b"m", sender=SENDER, recipient="bob@x.org", name="n")
    assert hook.sent == [("webhook:bob@x.org", b"{}")] and mail.sent == [("bob@x.org", b"m")]
    with pytest.raises(RetriableError, match="TICKETFLOW_WEBHOOK_URL"):
        Router(mail, None).send(b"{}", sender=SENDER, recipient="webhook:bob@x.org", name="n")
    OutboxDirMailer(tmp_path).send(b"{}", sender=SENDER, recipient="webhook:b", name="HELP-1 x")
    assert [p.name for p in tmp_path.iterdir()] == ["HELP-1_x.json"]


def test_one_pass_delivers_every_due_message_beyond_a_batch(tmp_path: Path) -> None:
    """250 due messages go out in one delivery pass (batches of 100 until none are due), so
    what is delivered when does not depend on how many passes a busy hour gets."""
    from connector.state.sqlite import SqliteStateStore

    store = SqliteStateStore(tmp_path / "state.db")
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"HELP-{n}|acknowledge|created|0:notify",
                      issue_key=f"HELP-{n}", template="request_submitted",
                      recipient=f"user{n}@uni.example.edu",
                      message=b"From: a@example.edu\r\nSubject: x\r\n\r\nhi\r\n", created_at=now)
        for n in range(250)]))
    result = deliver(store, OutboxDirMailer(tmp_path / "outbox"), sender="a@example.edu",
                     now=now)
    assert result.sent == 250
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 250
    store.close()
