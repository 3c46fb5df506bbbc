"""`SmtpMailer` against a real SMTP server (aiosmtpd): STARTTLS or implicit TLS, AUTH only
after TLS, and every kind of failure mapped to retry, refusal or stop."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from connector.errors import ConfigError, FatalError, RetriableError
from connector.mail.base import MessageRejectedError
from connector.mail.compose import compose, thread_for
from connector.mail.outbox import deliver
from connector.mail.smtp import SmtpMailer, SmtpTarget
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore
from connector.templates.render import Rendered

from .smtp_sink import PASSWORD, SmtpServer, free_port

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
HELPDESK = "redcap_helpdesk@example.edu"


@pytest.fixture(params=[False, True], ids=["starttls", "implicit-tls"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path, implicit_tls=request.param) as running:
        yield running


def _message(n: int = 0) -> bytes:
    thread = thread_for("HELP-1", "example.edu", inbound=["<orig@uni.example.edu>"],
                        outbound=[])
    return compose(Rendered(f"[HELP-1] Message {n}", "Hello\n", None), sender=HELPDESK,
                   recipient="pat@uni.example.edu", message_id=f"<e{n}@example.edu>", when=NOW,
                   reply_to=HELPDESK, thread=thread)


def test_delivers_over_tls_with_auth(server: SmtpServer) -> None:
    """Both TLS modes: authenticated, the envelope from the helpdesk, the bytes unchanged;
    one connection serves several messages."""
    mailer = SmtpMailer(SmtpTarget.parse(server.url), password=PASSWORD)
    for n in range(3):
        mailer.send(_message(n), sender=HELPDESK, recipient="pat@uni.example.edu", name="m")
    mailer.close()
    received = server.sink.received
    assert [r.mail_from for r in received] == [HELPDESK] * 3
    assert received[0].rcpt_tos == ["pat@uni.example.edu"]
    parsed = email.message_from_bytes(received[0].data, policy=policy.default)
    assert parsed["In-Reply-To"] == "<orig@uni.example.edu>"
    assert parsed["Subject"] == "[HELP-1] Message 0"


def test_wrong_password_stops_delivery(server: SmtpServer) -> None:
    """535 on AUTH is a FatalError naming the settings to check (and not the password)."""
    mailer = SmtpMailer(SmtpTarget.parse(server.url), password="wrong")
    with pytest.raises(FatalError, match="TICKETFLOW_SMTP_PASSWORD") as raised:
        mailer.send(_message(), sender=HELPDESK, recipient="pat@x.org", name="m")
    assert "wrong" not in str(raised.value)


def test_server_answers_map_to_retry_or_refusal(tmp_path: Path) -> None:
    """4xx after DATA is retriable, 5xx a refusal of this message."""
    with SmtpServer(tmp_path) as server:
        mailer = SmtpMailer(SmtpTarget.parse(server.url), password=PASSWORD)
        server.sink.reply = "451 4.3.0 try again later"
        with pytest.raises(RetriableError, match="451"):
            mailer.send(_message(), sender=HELPDESK, recipient="pat@x.org", name="m")
        server.sink.reply = "554 5.7.1 message refused"
        with pytest.raises(MessageRejectedError, match="554"):
            mailer.send(_message(), sender=HELPDESK, recipient="pat@x.org", name="m")
        server.sink.reply = "250 OK"
        mailer.send(_message(), sender=HELPDESK, recipient="pat@x.org", name="m")
        mailer.close()
        assert len(server.sink.received) == 1


def test_no_server_is_retriable() -> None:
    """Connection refused (the relay is down) is retried later, not failed."""
    url = f"smtp://127.0.0.1:{free_port()}?timeout=2"
    with pytest.raises(RetriableError, match="ConnectionRefusedError"):
        SmtpMailer(SmtpTarget.parse(url), password=None).send(
            _message(), sender=HELPDESK, recipient="pat@x.org", name="m")


def test_an_untrusted_certificate_is_fatal(tmp_path: Path) -> None:
    """Without the test CA the server's certificate does not verify: nothing is sent."""
    with SmtpServer(tmp_path) as server:
        url = server.url.split("&cafile=")[0]
        with pytest.raises(FatalError, match="certificate"):
            SmtpMailer(SmtpTarget.parse(url), password=PASSWORD).send(
                _message(), sender=HELPDESK, recipient="pat@x.org", name="m")
        assert server.sink.received == []


def test_auth_before_starttls_is_never_attempted(tmp_path: Path) -> None:
    """A URL that would log in over plain text is refused before connecting; the server
    (which requires STARTTLS) would refuse it too."""
    with SmtpServer(tmp_path) as server, pytest.raises(ConfigError, match="in clear"):
        SmtpMailer(SmtpTarget.parse(server.url.replace("starttls=true", "starttls=false")),
                   password=PASSWORD)


def test_delivery_step_against_the_server(tmp_path: Path) -> None:
    """The outbox's delivery step over SMTP: a server outage pauses delivery and leaves every
    message pending and untouched; once the pause is over and the server is back, each
    arrives exactly once."""
    store = SqliteStateStore(tmp_path / "state.db")
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"e{n}", issue_key="HELP-1", template="t",
                      recipient="pat@uni.example.edu", message=_message(n), created_at=NOW)
        for n in range(3)]))
    with SmtpServer(tmp_path) as server:
        down = SmtpMailer(SmtpTarget.parse(f"smtp://127.0.0.1:{free_port()}?timeout=2"),
                          password=None)
        result = deliver(store, down, sender=HELPDESK, now=NOW)
        assert (result.retried, result.failed) == (0, 0) and "ConnectionRefusedError" in \
            result.error
        assert [m.attempts for m in store.outbox(["pending"])] == [0, 0, 0]
        mailer = SmtpMailer(SmtpTarget.parse(server.url), password=PASSWORD)
        later = NOW + timedelta(minutes=1)
        assert deliver(store, mailer, sender=HELPDESK, now=later).sent == 3
        assert deliver(store, mailer, sender=HELPDESK, now=later).sent == 0
        assert len(server.sink.received) == 3
    store.close()
