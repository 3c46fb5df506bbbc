"""The delivery step: sent once, retried with backoff, failed visibly, paused (never failed)
by an outage of the server, and a crash between "accepted" and "recorded" repeats at most
that one message."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.errors import FatalError
from connector.mail.base import (
    DeliveryUnavailableError,
    MessageDeferredError,
    MessageRejectedError,
)
from connector.mail.outbox import (
    MAX_ATTEMPTS,
    RETRY_FOR,
    OutboxDirMailer,
    Router,
    deliver,
    pass_budget,
)
from connector.mail.pause import Pauses
from connector.mail.suppress import DeliveryGuard
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
SENDER = "redcap_helpdesk@example.edu"


class FakeMailer:
    """Records what it is asked to send; fails the next sends as told, or every send while
    `down` holds an error (a server outage)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.failures: list[Exception] = []
        self.down: Exception | None = None
        self.tries = 0
        self.closed = 0

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        self.tries += 1
        if self.down is not None:
            raise self.down
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


def _queue(store: SqliteStateStore, count: int, *, to: str = "pat@uni.example.edu",
           key: str = "e") -> None:
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"{key}{n}", issue_key="HELP-1", template="t",
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


def test_a_deferred_message_backs_off_for_days_then_fails_visibly(
        store: SqliteStateStore) -> None:
    """A 4xx to this message waits 1, 2, 4 ... minutes (at most an hour) and is failed with its
    last error only after MAX_ATTEMPTS tries and RETRY_FOR since it was queued."""
    _queue(store, 1)
    mailer = FakeMailer()
    mailer.failures = [MessageDeferredError("452 4.2.2 mailbox full")] * 1000
    now, attempt = NOW, 0
    while store.outbox(["pending"]):
        attempt += 1
        result = deliver(store, mailer, sender=SENDER, now=now)
        if result.failed:
            break
        (pending,) = store.outbox(["pending"])
        assert pending.next_attempt_at == now + timedelta(minutes=min(2 ** (attempt - 1), 60))
        assert deliver(store, mailer, sender=SENDER, now=now).retried == 0  # not yet due
        now = pending.next_attempt_at
    (failed,) = store.outbox(["failed"])
    assert failed.last_error == "452 4.2.2 mailbox full"
    assert failed.attempts == attempt >= MAX_ATTEMPTS
    assert RETRY_FOR <= now - NOW < RETRY_FOR + timedelta(hours=1)


def test_a_refusal_fails_at_once(store: SqliteStateStore) -> None:
    """A 5xx (this message will never be accepted) is failed without retrying; the other
    messages of the pass still go."""
    _queue(store, 3)
    mailer = FakeMailer()
    mailer.failures = [MessageRejectedError("550 no such user")]
    result = deliver(store, mailer, sender=SENDER, now=NOW)
    assert (result.failed, result.sent, result.error) == (1, 2, "")
    (failed,) = store.outbox(["failed"])
    assert failed.last_error == "550 no such user"


@pytest.mark.parametrize("outage", [
    DeliveryUnavailableError("SMTP mail.example.edu:587: ConnectionRefusedError"),
    DeliveryUnavailableError("SMTP mail.example.edu:587: 421 4.3.2 shutting down"),
    DeliveryUnavailableError("SMTP mail.example.edu:587: MAIL FROM refused: 554 relay off"),
    FatalError("SMTP mail.example.edu:587: authentication failed (535)"),
], ids=["refused", "421", "mail-from-5xx", "auth"])
def test_a_server_wide_failure_pauses_delivery_and_fails_nothing(
        store: SqliteStateStore, outage: Exception) -> None:
    """One try per pass, then a pause: no message is touched (pending, 0 attempts), the pass
    reports the reason, and no connection is tried again before the wait is over."""
    _queue(store, 5)
    mailer = FakeMailer()
    mailer.down = outage
    result = deliver(store, mailer, sender=SENDER, now=NOW)
    assert (result.sent, result.retried, result.failed, mailer.tries) == (0, 0, 0, 1)
    assert str(outage) in result.error and "1 failed tries" in result.error
    assert [(m.attempts, m.last_error) for m in store.outbox(["pending"])] == [(0, "")] * 5
    again = deliver(store, mailer, sender=SENDER, now=NOW + timedelta(seconds=30))
    assert mailer.tries == 1 and again.error == result.error
    assert mailer.closed == 2


def test_a_two_hour_outage_ends_with_every_message_sent_once(store: SqliteStateStore) -> None:
    """A pass every 30 s through a 2-hour outage: tries back off 1, 2, 4 ... minutes to an
    hour (about 9 connection attempts, not 240), nothing is failed, every pass in between
    reports the pause, and the first pass after recovery sends all 20 messages once."""
    _queue(store, 20)
    mailer = FakeMailer()
    mailer.down = DeliveryUnavailableError("SMTP mail.example.edu:587: TimeoutError")
    now, stuck = NOW, 0
    while now < NOW + timedelta(hours=2):
        stuck += bool(deliver(store, mailer, sender=SENDER, now=now).error)
        now += timedelta(seconds=30)
    assert stuck == 240 and mailer.tries <= 10
    assert store.outbox_counts() == {"pending": 20}
    mailer.down = None
    while not (result := deliver(store, mailer, sender=SENDER, now=now)).sent:
        now += timedelta(seconds=30)
    assert now - (NOW + timedelta(hours=2)) <= timedelta(hours=1)  # the wait is capped
    assert (result.sent, result.error) == (20, "")
    assert sorted(body for _, body in mailer.sent) == sorted(
        f"message {n}".encode() for n in range(20))
    assert Pauses(store).active() == []


def test_a_pass_budget_ends_at_its_deadline_or_on_stop() -> None:
    """The budget `once` and `run` give a pass: over once its seconds are spent (on the
    monotonic clock it is given), or at once when the service is stopping."""
    clock = [100.0]
    stop = threading.Event()
    over = pass_budget(120, stop, monotonic=lambda: clock[0])
    clock[0] = 219.9
    assert not over()
    stop.set()
    assert over()
    stop.clear()
    clock[0] = 220.0
    assert over()


def test_a_pause_with_nothing_left_to_send_ends(store: SqliteStateStore) -> None:
    """Every waiting message dropped during an outage: once the wait is over, nothing is
    stuck any more, though no connection was tried."""
    _queue(store, 1)
    mailer = FakeMailer()
    mailer.down = DeliveryUnavailableError("SMTP mail.example.edu:587: TimeoutError")
    assert deliver(store, mailer, sender=SENDER, now=NOW).error
    assert store.drop(1)
    assert deliver(store, mailer, sender=SENDER, now=NOW + timedelta(minutes=2)).error == ""
    assert mailer.tries == 1 and Pauses(store).active() == []


def test_a_chat_outage_does_not_hold_mail_back(store: SqliteStateStore) -> None:
    """The webhook channel pauses on its own: mail is still sent while chat posts wait."""
    _queue(store, 2)
    _queue(store, 2, to="webhook:bob@example.edu", key="w")
    mail, hook = FakeMailer(), FakeMailer()
    hook.down = DeliveryUnavailableError("webhook: HTTP 503")
    result = deliver(store, Router(mail, hook), sender=SENDER, now=NOW)
    assert (result.sent, [p.channel for p in result.paused]) == (2, ["webhook"])
    assert [m.recipient for m in store.outbox(["pending"])] == ["webhook:bob@example.edu"] * 2


def test_a_pass_ends_between_messages_when_told(store: SqliteStateStore) -> None:
    """`stop_when` (a time budget, a shutdown) ends the pass before the next send; the rest
    waits, untouched, for the next pass."""
    _queue(store, 5)
    mailer = FakeMailer()
    result = deliver(store, mailer, sender=SENDER, now=NOW, stop_when=lambda: mailer.tries >= 2)
    assert (result.sent, result.unfinished, result.error) == (2, True, "")
    assert deliver(store, mailer, sender=SENDER, now=NOW).sent == 3


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
        def mark_sent(self, message_id: int, **fields: object) -> None:  # type: ignore[override]
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
    with pytest.raises(DeliveryUnavailableError, match="TICKETFLOW_WEBHOOK_URL"):
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
