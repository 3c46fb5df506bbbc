"""Header injection through encoded-words, end to end: a sender's double-encoded subject goes
through mail intake into a ticket's summary, and the notices ticketflow then writes about that
ticket (to the customer and to an engineer) arrive at a real SMTP server with one Subject
line, only the headers ticketflow sets, and only ticketflow's own body."""

from __future__ import annotations

import base64
import email
import mailbox
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jira import JIRA

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox

from .smtp_sink import PASSWORD, Received, SmtpServer

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("America/Chicago"))
CUSTOMER = "pat.doe@uni.example.edu"
# What the sender wants a notice to carry: a Bcc, then a blank line and an HTML body. Short
# enough that our subjects keep it whole (they are cut at 150 characters).
PAYLOAD = "Hi\r\nBcc: victim@example.org\r\n\r\n<a href=//evil.example>Re-login</a>"
# Encoded once: what intake decodes the Subject into (and keeps as the summary).
INNER = "=?utf-8?b?" + base64.b64encode(PAYLOAD.encode()).decode() + "?="
# Encoded twice: what the sender puts on the wire.
OUTER = "=?utf-8?b?" + base64.b64encode(INNER.encode()).decode() + "?="
OUR_HEADERS = {"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Auto-Submitted",
               "X-Auto-Response-Suppress", "In-Reply-To", "References", "MIME-Version",
               "Content-Type", "Content-Transfer-Encoding"}


def _request() -> bytes:
    return (f"From: Pat Doe <{CUSTOMER}>\r\nTo: redcap_helpdesk@example.edu\r\n"
            f"Subject: {OUTER}\r\nMessage-ID: <double-encoded.1@uni.example.edu>\r\n"
            "Date: Mon, 30 Nov 2026 08:31:00 -0600\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nI cannot log in.\r\n").encode()


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, SmtpServer]]:
    with Sandbox("cloud", now=MONDAY, time_zone="America/Chicago") as sandbox, \
            SmtpServer(tmp_path) as smtp:
        for name, value in {
                "JIRA_URL": sandbox.url, "JIRA_EMAIL": API_USER, "JIRA_TOKEN": API_TOKEN,
                "STATE_DB": str(tmp_path / "state.db"), "MAILDIR": str(tmp_path / "Maildir"),
                "SMTP_URL": smtp.url, "SMTP_PASSWORD": PASSWORD,
                "PUBLIC_URL": "https://helpdesk.example.edu"}.items():
            monkeypatch.setenv(f"TICKETFLOW_{name}", value)
        assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        assert _once(sandbox, MONDAY) == 0  # first run: backfill of an empty project
        yield sandbox, smtp


def _once(sandbox: Sandbox, now: datetime) -> int:
    sandbox.set_clock(now)
    return main(["once", "--now", now.isoformat(), "--config-dir", str(ROOT)])


def _head_names(item: Received) -> list[str]:
    """The header names of the raw message as sent, in order (continuation lines skipped)."""
    head = item.data.partition(b"\r\n\r\n")[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line[:1] not in (" ", "\t")]


def test_a_double_encoded_subject_cannot_inject_into_our_mail(
        desk: tuple[Sandbox, SmtpServer], tmp_path: Path) -> None:
    """The ticket is made from the mail; the acknowledgement to the customer and the
    "assigned to you" notice to the engineer each have exactly one Subject line, no header
    beyond those ticketflow sets (no Bcc), a single text/plain body with no HTML, and a
    Subject that a mail reader shows as the ticket's literal text."""
    sandbox, smtp = desk
    mailbox.Maildir(tmp_path / "Maildir", create=True).add(_request())
    assert _once(sandbox, MONDAY + timedelta(minutes=5)) == 0
    jira = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN), max_retries=0)
    (issue,) = jira.search_issues("project = HELP")
    # The premise: intake decodes once, so the summary holds an encoded-word as text.
    assert "=?utf-8?" in issue.fields.summary, "intake no longer keeps the inner word"
    # Alice works a minute later: Jira stamps her changes after the cycle's read (a frozen
    # clock would stamp them with the `updated` the mirror already holds, which Jira never does).
    sandbox.set_clock(MONDAY + timedelta(minutes=6))
    for status in ("Reviewing", "Assigned"):
        if status == "Assigned":
            jira.assign_issue(issue.key, None)
            jira.issue(issue.key).update(assignee={"accountId": _account(jira, "bob")})
        move = next(t for t in jira.transitions(issue.key) if t["to"]["name"] == status)
        jira.transition_issue(issue.key, move["id"])
    assert _once(sandbox, MONDAY + timedelta(minutes=10)) == 0

    received = smtp.sink.received
    assert sorted(item.rcpt_tos[0] for item in received) == [
        "bob@example.edu", CUSTOMER, CUSTOMER]  # assigned to you; acknowledgement, escalated
    for item in received:
        recipient = item.rcpt_tos[0]
        names = _head_names(item)
        assert names.count("Subject") == 1, recipient
        assert set(names) <= OUR_HEADERS, (recipient, names)
        message = email.message_from_bytes(item.data, policy=policy.default)
        assert message.get_content_type() == "text/plain", recipient
        assert not message.is_multipart()
        assert item.rcpt_tos == [recipient] and "victim" not in str(message["To"])
        subject = str(message["Subject"])  # decoded once, as a mail reader shows it
        assert issue.fields.summary[:60] in subject and "\n" not in subject, recipient


def _account(jira: JIRA, name: str) -> str:
    (user,) = jira.search_users(query=f"{name}@example.edu")
    return str(user.accountId)
