"""Mail intake against the Jira sandbox over real HTTP when Jira misbehaves: an answer of the
wrong shape, a long outage, a create that finishes after the client gave up. Nothing may be
quarantined or doubled by trouble that is Jira's, not the mail's."""

from __future__ import annotations

import mailbox
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import responses
from jira import JIRA
from pydantic import SecretStr

from connector.app import Service, build
from connector.cli import main
from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.errors import AuthError
from connector.http.retry import Retrier, RetryPolicy
from connector.mail.intake.ingest import IngestReport
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.settings import Settings
from connector.state.intake import IntakeStore, MailRecord
from connector.state.sqlite import SqliteStateStore
from connector.tracker.base import Tracker
from connector.tracker.jira.client import JiraClient
from connector.tracker.jira.tracker import JiraTracker
from connector.tracker.jira.translate import JiraVocabulary

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("America/Chicago"))
PAT = "pat.doe@uni.example.edu"
REQUEST_ID = "<req1.pat.doe@uni.example.edu>"


def request(*, message_id: str = REQUEST_ID, subject: str = "Cannot log in to REDCap",
            headers: str = "", body: str = "My account is locked.") -> bytes:
    return (f"From: Pat Doe <{PAT}>\r\nTo: redcap_helpdesk@example.edu\r\n"
            f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n{headers}"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}\r\n").encode()


def no_sleep(seconds: float) -> None:
    """The retry layer waits on this: retries happen at once (time is the test's)."""
    del seconds


class Desk:
    """The sandbox as Jira, a Maildir as the helpdesk mailbox, and intake passes on demand."""

    def __init__(self, sandbox: Sandbox, tmp: Path, config: Config) -> None:
        self.sandbox = sandbox
        self.config = config
        self.clock = SettableClock(MONDAY)
        self.maildir = tmp / "Maildir"
        self.settings = Settings(
            jira_url=sandbox.url, jira_email=API_USER, jira_token=API_TOKEN,
            jira_flavor="cloud", state_db=tmp / "state.db", outbox_dir=tmp / "outbox",
            maildir=self.maildir, _env_file=None)  # type: ignore[call-arg]
        self.jira = JIRA(server=sandbox.url, basic_auth=(API_USER, API_TOKEN), max_retries=0)

    def drop(self, raw: bytes) -> None:
        mailbox.Maildir(self.maildir, create=True).add(raw)

    def ingest(self, tracker: Tracker | None = None, *, minutes: float = 1,
               settings: Settings | None = None, attempts: int = 10) -> IngestReport:
        """One intake pass, `minutes` after the last, with a fresh process's wiring: the real
        adapter as the service connects it (its retry layer does not sleep), unless one is
        given."""
        self.clock.advance(timedelta(minutes=minutes))
        self.sandbox.set_clock(self.clock.now())
        retrier = Retrier(RetryPolicy(max_attempts=attempts), sleep=no_sleep)
        service: Service = build(self.config, settings or self.settings, clock=self.clock,
                                 tracker=tracker, retrier=retrier)
        try:
            assert service.cycle.ingest is not None
            report = service.cycle.ingest(self.clock.now())
            assert isinstance(report, IngestReport)
            return report
        finally:
            service.close()

    def record(self, key: str = REQUEST_ID) -> MailRecord | None:
        store = SqliteStateStore(self.settings.state_db)
        try:
            return IntakeStore(store.db).record(key)
        finally:
            store.close()

    def keys(self) -> list[str]:
        return [i.key for i in self.jira.search_issues("project = HELP ORDER BY key ASC")]

    def inbox(self) -> list[Path]:
        return [*self.maildir.glob("new/*"), *self.maildir.glob("cur/*")]


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    with Sandbox("cloud", now=MONDAY, time_zone="America/Chicago") as sandbox:
        for name, value in {"JIRA_URL": sandbox.url, "JIRA_EMAIL": API_USER,
                            "JIRA_TOKEN": API_TOKEN}.items():
            monkeypatch.setenv(f"TICKETFLOW_{name}", value)
        assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        desk = Desk(sandbox, tmp_path, load_config(ROOT))
        yield desk
        desk.jira.close()


def test_an_html_page_instead_of_the_ticket_leaves_the_reply_for_the_next_pass(
        desk: Desk) -> None:
    """One `GET issue` answered 200 with a proxy's HTML page: the reply stays in the inbox,
    unquarantined, and the next pass puts it on the ticket as a comment."""
    desk.drop(request())
    assert desk.ingest().tickets == 1
    desk.drop(request(message_id="<reply1@uni.example.edu>", subject="Re: Cannot log in",
                      headers=f"In-Reply-To: {REQUEST_ID}\r\n", body="It says code 17."))
    issue_url = f"{desk.sandbox.url}/rest/api/3/issue/HELP-1"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as proxy:
        proxy.add_passthru(desk.sandbox.url)
        proxy.get(issue_url, body="<html><body>Please log in</body></html>", status=200,
                  content_type="text/html")
        proxy.add(responses.PassthroughResponse(responses.GET, issue_url))
        failed = desk.ingest()
        served = [c for c in proxy.calls if "text/html" in c.response.headers["Content-Type"]]
        assert len(served) == 1  # the proxy's page was the answer once
    assert (failed.comments, failed.quarantined, failed.deferred) == (0, 0, 1)
    assert "stopped early" in failed.error
    record = desk.record("<reply1@uni.example.edu>")
    assert record is not None and not record.done
    assert len(desk.inbox()) == 1
    assert desk.ingest().comments == 1
    (comment,) = desk.jira.comments("HELP-1")
    assert "It says code 17." in comment.body
    assert desk.inbox() == []


def test_an_outage_and_refused_credentials_over_http_quarantine_nothing(desk: Desk) -> None:
    """Six passes of Jira answering 500 to everything, then six refusing the token (401),
    over real HTTP: the mail waits in the inbox, no attempt is counted, and the first pass
    after Jira recovers makes its one ticket."""
    desk.drop(request(message_id="<warm-up@uni.example.edu>", subject="First"))
    assert desk.ingest().tickets == 1  # ticketflow's own Jira user is now remembered
    desk.drop(request())
    desk.sandbox.set_faults(rate_500=1.0)
    for _ in range(6):
        report = desk.ingest(attempts=2)
        assert (report.deferred, report.quarantined) == (1, 0)
    desk.sandbox.clear_faults()
    wrong = desk.settings.model_copy(update={"jira_token": SecretStr("not-the-token")})
    for _ in range(6):
        with pytest.raises(AuthError):
            desk.ingest(settings=wrong)
    assert len(desk.inbox()) == 1
    assert desk.ingest().tickets == 1
    assert desk.keys() == ["HELP-1", "HELP-2"]
    record = desk.record()
    assert record is not None and (record.outcome, record.attempts, record.waits) == (
        "ticket", 0, 12)


def impatient(desk: Desk, read_timeout: float) -> Tracker:
    """The real adapter with a short read timeout, so a slow Jira outlives it; it knows who
    ticketflow is in Jira (as the state would tell it), so the create is its first request."""
    client = JIRA(server=desk.sandbox.url, options={"rest_api_version": "3"},
                  basic_auth=(API_USER, API_TOKEN), get_server_info=False, max_retries=0,
                  timeout=(5.0, read_timeout))
    client.deploymentType = "Cloud"  # as connect() sets it
    jira = JiraClient(client, flavor="cloud", retrier=Retrier(sleep=no_sleep),
                      custom_fields=["customfield_10071", "customfield_10072"])
    store = SqliteStateStore(desk.settings.state_db)
    try:
        identity_key = f"jira_user {desk.settings.jira_url} {API_USER}"
        known = {identity_key: store.meta(identity_key) or ""}
    finally:
        store.close()
    return JiraTracker(jira, JiraVocabulary.from_config(desk.config), notes=Remembered(known),
                       base_url=desk.sandbox.url, identity_key=identity_key)


class Remembered(dict[str, str]):
    """What an earlier run left in the state's meta table, read-only."""

    def meta(self, key: str) -> str | None:
        return self.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self[key] = value


def wait_for_issues(desk: Desk, count: int) -> None:
    """Until the sandbox's request thread has finished the create it was sleeping on (real
    time: the sandbox's latency fault sleeps on the wall clock), at most ten seconds."""
    for _ in range(200):
        with desk.sandbox.store.lock:
            if len(desk.sandbox.store.issues) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"the sandbox never reached {count} issues")


def test_a_create_answered_after_the_read_timeout_makes_one_ticket(desk: Desk) -> None:
    """Jira (the sandbox with 3 s of latency) finishes the create after the client gave up
    at 0.5 s; the next pass starts while Jira is still working on it, so the label search
    misses it. Intake waits instead of creating again, and finds the issue by its label
    once ten minutes have passed: one ticket for the mail, recorded as its."""
    desk.drop(request(message_id="<warm-up@uni.example.edu>", subject="First"))
    assert desk.ingest().tickets == 1
    desk.drop(request())
    desk.sandbox.set_faults(latency_ms=3000)
    lost = desk.ingest(impatient(desk, read_timeout=0.5))
    assert (lost.tickets, lost.deferred) == (0, 1)
    desk.sandbox.clear_faults()
    early = desk.ingest()  # the create is still sleeping in the sandbox
    assert (early.tickets, early.deferred) == (0, 1)
    wait_for_issues(desk, 2)
    assert desk.ingest(minutes=11).tickets == 1
    assert desk.keys() == ["HELP-1", "HELP-2"]
    record = desk.record()
    assert record is not None and (record.outcome, record.issue_key) == ("ticket", "HELP-2")
