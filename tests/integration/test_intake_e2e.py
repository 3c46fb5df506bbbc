"""Mail in a Maildir -> `ticketflow once` -> a ticket in the Jira sandbox over real HTTP and the
acknowledgement in the outbox; the customer's reply -> a comment; cron mail -> a ticket with
no acknowledgement; a crash between creating the issue and recording it -> still one issue."""

from __future__ import annotations

import email
import mailbox
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jira import JIRA

from connector.app import build, connect_tracker
from connector.cli import main
from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.settings import Settings
from connector.tracker.base import Tracker
from connector.tracker.values import NewTicket

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "mail"
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("America/Chicago"))
PAT = "pat.doe@uni.example.edu"


class Desk:
    """The sandbox, the helpdesk Maildir, the outbox, and `ticketflow once` as cron runs it."""

    def __init__(self, sandbox: Sandbox, tmp: Path) -> None:
        self.sandbox = sandbox
        self.maildir = tmp / "Maildir"
        self.outbox = tmp / "outbox"
        self.now = MONDAY
        self.jira = JIRA(server=sandbox.url, basic_auth=(API_USER, API_TOKEN), max_retries=0,
                         options={"rest_api_version": "2"})

    def drop(self, raw: bytes) -> None:
        mailbox.Maildir(self.maildir, create=True).add(raw)

    def once(self, *extra: str, minutes: int = 5) -> int:
        self.now += timedelta(minutes=minutes)
        self.sandbox.set_clock(self.now)
        return main(["once", "--now", self.now.isoformat(), "--config-dir", str(ROOT), *extra])

    def sent(self) -> list[EmailMessage]:
        return [email.message_from_bytes(f.read_bytes(), policy=policy.default)  # type: ignore[misc]
                for f in sorted(self.outbox.glob("*.eml"))]

    def inbox(self) -> list[Path]:
        return [*self.maildir.glob("new/*"), *self.maildir.glob("cur/*")]

    def processed(self) -> list[Path]:
        return list(self.maildir.glob(".Processed/cur/*"))


@pytest.fixture
def new_desk(tmp_path: Path, state_location: str,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """The desk before ticketflow's first run: the workflow installed, the state new (on each
    backend in turn)."""
    with Sandbox("cloud", now=MONDAY, time_zone="America/Chicago") as sandbox:
        for name, value in {"JIRA_URL": sandbox.url, "JIRA_EMAIL": API_USER,
                            "JIRA_TOKEN": API_TOKEN, "STATE_DB": state_location,
                            "OUTBOX_DIR": str(tmp_path / "outbox"),
                            "MAILDIR": str(tmp_path / "Maildir"),
                            "PUBLIC_URL": "https://helpdesk.example.edu"}.items():
            monkeypatch.setenv(f"TICKETFLOW_{name}", value)
        assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        desk = Desk(sandbox, tmp_path)
        yield desk
        desk.jira.close()


@pytest.fixture
def desk(new_desk: Desk) -> Desk:
    assert new_desk.once() == 0  # first run: backfill of an empty project
    return new_desk


def test_the_first_run_acknowledges_the_mail_it_turns_into_tickets(new_desk: Desk) -> None:
    """A fresh state, a backlog in Jira and a request waiting in the mailbox: the first
    `once` takes the backlog as its baseline (no message for it), yet the ticket its own
    mail intake creates is a new request and is acknowledged like any other."""
    (backlog,) = new_desk.sandbox.seed_issues(1, start=MONDAY - timedelta(days=3))
    new_desk.drop((FIXTURES / "request-plain.eml").read_bytes())
    assert new_desk.once() == 0
    (request,) = [i.key for i in new_desk.jira.search_issues("project = HELP")
                  if i.key != backlog]
    (ack,) = new_desk.sent()
    assert ack["To"] == PAT and str(ack["Subject"]).startswith(f"[{request}]")
    assert new_desk.once() == 0  # nothing for the backlog later either, nothing twice
    assert len(new_desk.sent()) == 1


def test_mail_becomes_a_ticket_an_acknowledgement_and_a_comment(desk: Desk) -> None:
    """The whole loop over real HTTP: request -> Pending ticket with the customer field ->
    "request submitted" to the customer -> their reply to it -> a comment, not a ticket."""
    desk.drop((FIXTURES / "request-plain.eml").read_bytes())
    desk.drop((FIXTURES / "cron-auto-generated.eml").read_bytes())
    assert desk.once() == 0
    request = desk.jira.issue("HELP-1")
    assert request.fields.summary == "Cannot log in to REDCap"
    assert request.fields.status.name == "Pending"
    assert request.fields.customfield_10072 == PAT
    assert any(label.startswith("tf-mail-") for label in request.fields.labels)
    assert "my account is locked" in request.fields.description
    cron = desk.jira.issue("HELP-2")
    assert "tf-auto" in cron.fields.labels and cron.fields.customfield_10072 is None
    (ack,) = desk.sent()  # none for the cron mail
    assert ack["To"] == PAT and str(ack["Subject"]).startswith("[HELP-1]")
    assert len(desk.processed()) == 2 and desk.inbox() == []

    reply = (f"From: Pat Doe <{PAT}>\r\nTo: redcap_helpdesk@example.edu\r\n"
             f"Subject: Re: {ack['Subject']}\r\nMessage-ID: <reply1@uni.example.edu>\r\n"
             f"In-Reply-To: {ack['Message-ID']}\r\nReferences: {ack['Message-ID']}\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\nIt says *code 17* [~admin].\r\n"
             "\r\n> Thank you for contacting REDCap support.\r\n").encode()
    desk.drop(reply)
    assert desk.once() == 0
    (comment,) = desk.jira.comments("HELP-1")
    assert comment.body.startswith(f"From: Pat Doe <{PAT}> (by email, ref tf-mail-")
    assert "code 17" in comment.body
    assert desk.jira.search_issues("project = HELP", maxResults=10).total == 2


def test_a_dry_run_leaves_the_mailbox_alone(desk: Desk) -> None:
    """`once --dry-run` writes nothing to Jira, so it reads no mail either."""
    desk.drop((FIXTURES / "request-plain.eml").read_bytes())
    assert desk.once("--dry-run") == 0
    assert len(desk.inbox()) == 1
    assert desk.jira.search_issues("project = HELP").total == 0


class Crash(BaseException):
    """The process dies (nothing in ticketflow catches a BaseException that is no Exception)."""


class DiesAfterCreate:
    """The real adapter, except that the process dies right after Jira created the issue."""

    def __init__(self, inner: Tracker) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create(self, ticket: NewTicket) -> str:
        self.inner.create(ticket)
        raise Crash("killed after POST /issue")


def test_a_crash_between_creating_and_recording_leaves_one_issue(desk: Desk) -> None:
    """Jira has the issue, ticketflow's state does not: the next run finds it by its
    `tf-mail-` label through JQL instead of creating a second one."""
    desk.drop((FIXTURES / "request-plain.eml").read_bytes())
    settings = Settings()
    config = load_config(ROOT)
    service = build(config, settings, clock=SettableClock(desk.now),
                    tracker=DiesAfterCreate(connect_tracker(config, settings)))  # type: ignore[arg-type]
    try:
        assert service.cycle.ingest is not None
        with pytest.raises(Crash):
            service.cycle.ingest(desk.now)
    finally:
        service.close()
    assert desk.jira.search_issues("project = HELP").total == 1
    assert len(desk.inbox()) == 1  # not moved: the outcome was never committed
    assert desk.once() == 0
    found = desk.jira.search_issues("project = HELP")
    assert [i.key for i in found] == ["HELP-1"]
    assert desk.inbox() == [] and len(desk.processed()) == 1
    assert len(desk.sent()) == 1  # acknowledged once
