"""The seed workflow end to end with real SMTP: the Jira sandbox, `ticketflow once` as cron
runs it, and aiosmtpd (STARTTLS + AUTH) receiving every message, once, with the headers the
checklist asks for; then the survey's link answered on the feedback page writes back."""

from __future__ import annotations

import email
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from jira import JIRA

from connector.app import connect_tracker
from connector.cli import main
from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.settings import load_settings
from connector.state.base import Transaction
from connector.state.location import open_state
from connector.web.feedback import make_feedback_app

from .smtp_sink import PASSWORD, SmtpServer

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("America/Chicago"))
CUSTOMER = "pat.doe@uni.example.edu"
HELPDESK = "redcap_helpdesk@example.edu"
ORIGINAL = "<CAF-original.42@mail.uni.example.edu>"


class World:
    def __init__(self, sandbox: Sandbox, smtp: SmtpServer, state: str, folder: Path) -> None:
        self.sandbox, self.smtp, self.state, self.folder = sandbox, smtp, state, folder
        self.now = MONDAY

    def at(self, when: datetime) -> None:
        self.now = when
        self.sandbox.set_clock(when)

    def once(self) -> None:
        assert main(["once", "--now", self.now.isoformat(), "--config-dir", str(ROOT)]) == 0

    def client(self, user: str) -> JIRA:
        return JIRA(server=self.sandbox.url, basic_auth=(user, API_TOKEN), max_retries=0,
                    options={"rest_api_version": "2"})

    def move(self, user: str, key: str, status: str) -> None:
        jira = self.client(user)
        transition = next(t for t in jira.transitions(key) if t["to"]["name"] == status)
        jira.transition_issue(key, transition["id"])

    def received(self) -> list[EmailMessage]:
        out = []
        for item in self.smtp.sink.received:
            parsed = email.message_from_bytes(item.data, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            assert item.mail_from == HELPDESK and item.rcpt_tos == [str(parsed["To"])]
            out.append(parsed)
        return out

    def one(self, subject: str) -> EmailMessage:
        (found,) = [m for m in self.received() if subject in str(m["Subject"])]
        return found


@pytest.fixture
def world(tmp_path: Path, state_location: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The sandbox, the SMTP server and ticketflow's settings; the state on each backend."""
    with Sandbox("cloud", now=MONDAY, time_zone="America/Chicago") as sandbox, \
            SmtpServer(tmp_path) as smtp:
        for name, value in {
                "JIRA_URL": sandbox.url, "JIRA_EMAIL": API_USER, "JIRA_TOKEN": API_TOKEN,
                "STATE_DB": state_location, "OUTBOX_DIR": str(tmp_path / "outbox"),
                "SMTP_URL": smtp.url, "SMTP_PASSWORD": PASSWORD,
                "FEEDBACK_SECRET": "e2e-feedback-secret",
                "PUBLIC_URL": "https://helpdesk.example.edu/tf"}.items():
            monkeypatch.setenv(f"TICKETFLOW_{name}", value)
        assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        world = World(sandbox, smtp, state_location, tmp_path)
        world.once()
        yield world


def test_every_message_arrives_once_threaded(world: World) -> None:
    """Acknowledgement, assigned-to-you, escalation update, work started, complete and the
    survey each arrive once by SMTP; each has our Message-ID, Reply-To the helpdesk,
    In-Reply-To the customer's original, References with the ticket root, Auto-Submitted
    (auto-replied only for the acknowledgement), no Precedence, no encoded-word, no line over
    998; nothing arrives twice and nothing lands in the outbox folder."""
    key = str(world.client("alice@example.edu").create_issue(fields={
        "project": {"key": "HELP"}, "issuetype": {"name": "Service Request"},
        "summary": "Cannot log in: password reset link expired", "description": "Help",
        "customfield_10072": CUSTOMER}).key)
    store = open_state(world.state)  # what mail intake records for a mailed request
    store.commit(Transaction(message_ids=[(ORIGINAL, key, "in")]))
    store.close()
    steps = [(5, None), (10, ("alice@example.edu", "Reviewing")), (140, None)]
    for minutes, move in steps:
        if move:
            world.move(move[0], key, move[1])
        world.at(MONDAY + timedelta(minutes=minutes))
        world.once()
    engineer = world.one("Assigned to you")["To"]
    world.at(MONDAY + timedelta(hours=3))
    world.move(str(engineer), key, "In Progress")
    world.at(MONDAY + timedelta(hours=3, minutes=5))
    world.once()
    world.at(MONDAY + timedelta(hours=5))
    world.move(str(engineer), key, "Done")
    for minutes in (305, 370, 380):            # complete; the survey an hour later; then idle
        world.at(MONDAY + timedelta(minutes=minutes))
        world.once()

    subjects = ["We received your request", "Assigned to you", "Update on your request",
                "Work has begun", "Your request is complete", "How did we do"]
    messages = {s: world.one(s) for s in subjects}
    assert len(world.received()) == 6
    ids = [m["Message-ID"] for m in messages.values()]
    assert len(set(ids)) == 6 and all(i.endswith("@example.edu>") for i in ids)
    root = f"<ticket.{key}@example.edu>"
    for subject, message in messages.items():
        assert str(message["Subject"]).startswith(f"[{key}] "), subject
        assert message["From"] == HELPDESK and message["Reply-To"] == HELPDESK
        assert message["In-Reply-To"] == ORIGINAL, subject
        assert message["References"].split()[:2] == [ORIGINAL, root], subject
        assert "Precedence" not in message
        expected = "auto-replied" if subject == subjects[0] else "auto-generated"
        assert message["Auto-Submitted"] == expected, subject
    for item in world.smtp.sink.received:
        head = item.data.split(b"\r\n\r\n", 1)[0]
        assert b"=?" not in head and max(map(len, item.data.split(b"\r\n"))) <= 998
    later = messages["How did we do"]["References"].split()
    assert messages["We received your request"]["Message-ID"] in later
    assert not (world.folder / "outbox").exists()

    # The survey's link, answered on the built-in page, lands on the ticket in Jira.
    text = messages["How did we do"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = next(w for w in text.split() if "/feedback/" in w)
    assert link.startswith("https://helpdesk.example.edu/tf/feedback/")
    settings = load_settings()
    config = load_config(ROOT)
    store = open_state(world.state)
    tracker = connect_tracker(config, settings, store=store)
    app = make_feedback_app(store=store, tracker=tracker, config=config, settings=settings,
                            clock=SettableClock(world.now))
    body = b"score=5&comment=Thanks%21"
    status: list[str] = []
    app({"REQUEST_METHOD": "POST", "PATH_INFO": "/feedback/" + urlsplit(link).path.rsplit(
        "/", 1)[1], "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)},
        lambda s, h: status.append(s))
    store.close()
    assert status == ["200 OK"]
    issue = world.client(API_USER).issue(key)
    assert issue.fields.customfield_10073 == 5
    comments = world.client(API_USER).comments(key)
    assert any("Customer feedback (resolution 1): 5/5" in c.body for c in comments)
