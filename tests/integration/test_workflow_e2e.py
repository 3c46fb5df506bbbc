"""The whole seed workflow against the Jira sandbox over real HTTP, on a moving clock.

Engineers act with their own Jira credentials (so their changes are not ticketflow's own);
ticketflow runs exactly as cron would run it: `ticketflow once --now ...`. Every test runs
on both state backends (a SQLite file, a PostgreSQL schema).
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jira import JIRA

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox

ROOT = Path(__file__).resolve().parents[2]
CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=CHICAGO)
CUSTOMER = "pat.doe@uni.example.edu"


class World:
    """The sandbox, ticketflow's settings, and the engineers' own Jira clients."""

    def __init__(self, sandbox: Sandbox, tmp: Path) -> None:
        self.sandbox = sandbox
        self.outbox = tmp / "outbox"
        self.now = MONDAY

    def client(self, user: str) -> JIRA:
        return JIRA(server=self.sandbox.url, basic_auth=(user, API_TOKEN), max_retries=0,
                    options={"rest_api_version": "2"})

    def at(self, when: datetime) -> None:
        self.now = when
        self.sandbox.set_clock(when)

    def once(self, *extra: str) -> int:
        return main(["once", "--now", self.now.isoformat(), "--config-dir", str(ROOT), *extra])

    def move(self, user: str, key: str, status: str) -> None:
        jira = self.client(user)
        transition = next(t for t in jira.transitions(key) if t["to"]["name"] == status)
        jira.transition_issue(key, transition["id"])

    def messages(self) -> list[email.message.EmailMessage]:
        files = sorted(self.outbox.glob("*.eml"))
        return [email.message_from_bytes(f.read_bytes(), policy=policy.default)  # type: ignore[misc]
                for f in files]

    def sent(self, template_subject: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if template_subject in str(m["Subject"])]


@pytest.fixture
def world(tmp_path: Path, state_location: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The sandbox and ticketflow's settings; the state on each backend in turn."""
    with Sandbox("cloud", now=MONDAY, time_zone="America/Chicago") as sandbox:
        monkeypatch.setenv("TICKETFLOW_JIRA_URL", sandbox.url)
        monkeypatch.setenv("TICKETFLOW_JIRA_EMAIL", API_USER)
        monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", API_TOKEN)
        monkeypatch.setenv("TICKETFLOW_STATE_DB", state_location)
        monkeypatch.setenv("TICKETFLOW_OUTBOX_DIR", str(tmp_path / "outbox"))
        monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")
        assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        world = World(sandbox, tmp_path)
        assert world.once() == 0  # first run: backfill of an empty project
        yield world


def _new_ticket(world: World, summary: str) -> str:
    issue = world.client("alice@example.edu").create_issue(fields={
        "project": {"key": "HELP"}, "issuetype": {"name": "Service Request"},
        "summary": summary, "description": "Since this morning I get an error.",
        "customfield_10072": CUSTOMER})
    return str(issue.key)


def test_seed_workflow_end_to_end(world: World) -> None:
    """Acknowledge + categorise; escalate past the tier 1 limit with both notices; tell the
    customer when work starts and when it is complete; one survey after the delay, and none
    again after a reopen and a second completion. Re-running a cycle changes nothing."""
    key = _new_ticket(world, "Cannot log in: password reset link expired")
    world.at(MONDAY + timedelta(minutes=5))
    assert world.once() == 0
    (ack,) = world.sent("We received your request")
    assert ack["To"] == CUSTOMER
    assert str(ack["Subject"]).startswith(f"[{key}]")
    issue = world.client(API_USER).issue(key)
    assert [c.name for c in issue.fields.components] == ["Access"]

    world.at(MONDAY + timedelta(minutes=10))
    world.move("alice@example.edu", key, "Reviewing")
    world.at(MONDAY + timedelta(hours=2))          # 10:30: Access limit is 2 business hours
    assert world.once() == 0
    assert world.sent("Assigned to you") == []

    world.at(MONDAY + timedelta(hours=2, minutes=20))  # 10:50: 2h10m in Reviewing
    assert world.once() == 0
    (assigned,) = world.sent("Assigned to you")
    (update,) = world.sent("Update on your request")
    issue = world.client(API_USER).issue(key)
    assert issue.fields.status.name == "Assigned"
    assert issue.fields.customfield_10071 == 2
    assert assigned["To"] == issue.fields.assignee.emailAddress
    assert update["To"] == CUSTOMER
    assert world.once() == 0                       # the same instant again: nothing new
    assert len(world.messages()) == 3

    engineer = issue.fields.assignee.emailAddress
    world.at(MONDAY + timedelta(hours=3))
    world.move(engineer, key, "In Progress")
    world.at(MONDAY + timedelta(hours=3, minutes=5))
    assert world.once() == 0
    assert len(world.sent("Work has begun")) == 1

    world.at(MONDAY + timedelta(hours=5))
    world.move(engineer, key, "Done")
    world.at(MONDAY + timedelta(hours=5, minutes=5))
    assert world.once() == 0
    assert len(world.sent("Your request is complete")) == 1
    assert world.sent("How did we do") == []       # the survey waits an hour

    world.at(MONDAY + timedelta(hours=6, minutes=10))
    assert world.once() == 0
    assert len(world.sent("How did we do")) == 1

    world.move("alice@example.edu", key, "Reviewing")  # reopened
    world.at(MONDAY + timedelta(hours=6, minutes=30))
    assert world.once() == 0
    world.move("alice@example.edu", key, "Done")
    world.at(MONDAY + timedelta(hours=8))
    assert world.once() == 0
    assert len(world.sent("Your request is complete")) == 2
    assert len(world.sent("How did we do")) == 1   # once per resolution, not per reopen


def test_idle_cycle_costs_one_search_and_time_rules_cost_nothing(world: World) -> None:
    """With 300 open tickets mirrored, an idle cycle makes exactly one request (the search);
    the time rules run over the mirror without asking Jira anything."""
    world.sandbox.seed_issues(300, status="Reviewing", start=MONDAY - timedelta(hours=1),
                              step=timedelta(seconds=1))
    world.at(MONDAY + timedelta(minutes=1))
    assert world.once() == 0                       # picks the 300 up (they are new)
    world.sandbox.reset_request_counts()
    world.at(MONDAY + timedelta(minutes=20))       # nothing changed, past the overlap window
    assert world.once() == 0
    counts = world.sandbox.request_counts()
    assert counts["total"] == 1, counts
    assert list(counts["by_endpoint"]) == ["POST /rest/api/3/search/jql"], counts


def test_dry_run_reads_only_and_records_nothing(world: World, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`once --dry-run` prints the planned actions; Jira sees reads only, the ledger and the
    outbox are unchanged (a real run afterwards still does everything)."""
    key = _new_ticket(world, "Data export to CSV fails")
    world.at(MONDAY + timedelta(minutes=5))
    capsys.readouterr()
    world.sandbox.reset_request_counts()
    assert world.once("--dry-run") == 0
    out = capsys.readouterr().out
    assert f"{key}  acknowledge  0:notify" in out
    assert "dry run: nothing was changed" in out
    counts = world.sandbox.request_counts()
    assert all(route.startswith(("GET ", "POST /rest/api/3/search", "POST /rest/api/3/changelog"))
               for route in counts["by_endpoint"]), counts
    assert not world.outbox.exists() or not list(world.outbox.glob("*.eml"))
    assert world.once() == 0
    assert len(world.sent("We received your request")) == 1


def test_explain_shows_why(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """`ticketflow explain KEY` shows each rule, the arithmetic, and when escalation is due."""
    key = _new_ticket(world, "Please create a new project for my lab")
    world.at(MONDAY + timedelta(minutes=5))
    assert world.once() == 0
    world.move("alice@example.edu", key, "Reviewing")
    world.at(MONDAY + timedelta(minutes=30))
    assert world.once() == 0
    capsys.readouterr()
    assert main(["explain", key, "--now", world.now.isoformat(), "--config-dir",
                 str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert 'rule "escalate stale tier 1" (on schedule): does not fire' in out
    assert "of business time since Mon 30 Nov 08:35 CST; limit 4 business hours (tier 1)" in out
    assert "next due: Mon 30 Nov 12:35 CST" in out
    assert "acknowledge" in out and "done" in out
