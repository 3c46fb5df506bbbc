"""The whole seed workflow against each tracker's sandbox over real HTTP, on a moving clock:
Jira Cloud, Jira Data Center and Zendesk Support, with the same rules.yaml and the same
expected messages.

Engineers act with their own credentials (so their changes are not ticketflow's own), through
the tracker adapter as they would in the tracker's screens; ticketflow runs exactly as cron
would run it: `ticketflow once --now ...`. Every test runs on both state backends (a SQLite
file, a PostgreSQL schema).
"""

from __future__ import annotations

import copy
import email
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from connector.app import connect_tracker, installer
from connector.cli import main
from connector.config.loader import load_config
from connector.config.shipped import config_dir_for
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.settings import Settings
from connector.tracker.base import Tracker
from connector.tracker.values import NewTicket, TrackedTicket, WorkflowFields

ROOT = Path(__file__).resolve().parents[2]
CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=CHICAGO)
CUSTOMER = "pat.doe@uni.example.edu"
TRACKERS = ("jira-cloud", "jira-datacenter", "zendesk")
# What an idle cycle asks, per tracker: the one request of its change feed.
FEED = {"jira-cloud": "POST /rest/api/3/search/jql",
        "jira-datacenter": "POST /rest/api/2/search",
        "zendesk": "GET /api/v2/incremental/tickets/cursor"}


class World:
    """The sandbox, ticketflow's configuration, and the engineers' own tracker logins."""

    def __init__(self, kind: str, sandbox: Sandbox, tmp: Path, config_dir: Path) -> None:
        self.kind = kind
        self.sandbox = sandbox
        self.outbox = tmp / "outbox"
        self.config_dir = config_dir
        self.config = load_config(config_dir)
        self.now = MONDAY

    def settings(self, user: str = API_USER) -> Settings:
        """`user`'s own login: Data Center takes each person's token, the others the same."""
        if self.kind == "zendesk":
            return Settings(zendesk_url=self.sandbox.url, zendesk_email=user,
                            zendesk_token=SecretStr(API_TOKEN),
                            _env_file=None)  # type: ignore[call-arg]
        token = API_TOKEN
        if self.kind == "jira-datacenter" and user != API_USER:
            token = f"{API_TOKEN}-{user.partition('@')[0]}"
        return Settings(jira_url=self.sandbox.url, jira_email=user, jira_token=SecretStr(token),
                        jira_flavor=self.sandbox.flavor or "cloud",
                        _env_file=None)  # type: ignore[call-arg]

    def as_user(self, user: str) -> Tracker:
        return connect_tracker(self.config, self.settings(user))

    def read(self, key: str) -> TrackedTicket:
        return self.as_user(API_USER).ticket(key)

    def at(self, when: datetime) -> None:
        self.now = when
        self.sandbox.set_clock(when)

    def once(self, *extra: str) -> int:
        return main(["once", "--now", self.now.isoformat(), "--config-dir",
                     str(self.config_dir), *extra])

    def move(self, user: str, key: str, status: str) -> None:
        self.as_user(user).update(key, WorkflowFields(status=status))

    def messages(self) -> list[email.message.EmailMessage]:
        files = sorted(self.outbox.glob("*.eml"))
        return [email.message_from_bytes(f.read_bytes(), policy=policy.default)  # type: ignore[misc]
                for f in files]

    def sent(self, template_subject: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if template_subject in str(m["Subject"])]


def _environment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = world.settings()
    for name in ("jira_url", "jira_email", "jira_flavor", "zendesk_url", "zendesk_email"):
        value = getattr(settings, name)
        if value and not (name == "jira_flavor" and world.kind == "zendesk"):
            monkeypatch.setenv(f"TICKETFLOW_{name.upper()}", str(value))
    prefix = "ZENDESK" if world.kind == "zendesk" else "JIRA"
    monkeypatch.setenv(f"TICKETFLOW_{prefix}_TOKEN", API_TOKEN)


def _install(world: World) -> None:
    """install-scheme; Data Center cannot create workflows over REST, so its scheme is copied
    in from a Cloud sandbox, as an admin following install-scheme's checklist would make it."""
    if world.kind != "jira-datacenter":
        assert main(["install-scheme", "--config-dir", str(world.config_dir)]) == 0
        return
    with Sandbox("cloud", now=MONDAY) as cloud:
        cloud_settings = Settings(jira_url=cloud.url, jira_email=API_USER,
                                  jira_token=SecretStr(API_TOKEN), jira_flavor="cloud",
                                  _env_file=None)  # type: ignore[call-arg]
        assert installer(world.config, cloud_settings).install_scheme(
            world.config, dry_run=False, echo=lambda _: None) == 0
        dc = world.sandbox
        with cloud.store.lock, dc.store.lock:
            for name in ("statuses", "workflows", "schemes", "components"):
                setattr(dc.store, name, copy.deepcopy(getattr(cloud.store, name)))
            dc.store.counters.update(cloud.store.counters)
            dc.store.projects[10000].scheme_id = cloud.store.projects[10000].scheme_id


@pytest.fixture(params=TRACKERS)
def world(request: pytest.FixtureRequest, tmp_path: Path, state_location: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Each tracker's sandbox and ticketflow's settings; the state on each backend in turn."""
    kind = str(request.param)
    sandbox = (Sandbox(tracker="zendesk", now=MONDAY) if kind == "zendesk" else
               Sandbox(kind.removeprefix("jira-"), now=MONDAY, time_zone="America/Chicago"))
    with sandbox:
        config_dir = ROOT if kind != "zendesk" else config_dir_for("zendesk", tmp_path)
        world = World(kind, sandbox, tmp_path, config_dir)
        _environment(world, monkeypatch)
        monkeypatch.setenv("TICKETFLOW_STATE_DB", state_location)
        monkeypatch.setenv("TICKETFLOW_OUTBOX_DIR", str(tmp_path / "outbox"))
        monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")
        _install(world)
        assert world.once() == 0  # first run: backfill of an empty project
        yield world


def _new_ticket(world: World, summary: str) -> str:
    """A ticket Alice opens for the customer, in the tracker's own way."""
    return world.as_user("alice@example.edu").create(NewTicket(
        summary, "Since this morning I get an error.", WorkflowFields(customer=CUSTOMER)))


def test_seed_workflow_end_to_end(world: World) -> None:
    """Acknowledge + categorise; escalate past the tier 1 limit with both notices; tell the
    customer when work starts and when it is complete; one survey after the delay, and none
    again after a reopen and a second completion. Re-running a cycle changes nothing."""
    key = _new_ticket(world, "Cannot log in: password reset link expired")
    world.at(MONDAY + timedelta(minutes=5))
    assert world.once() == 0
    (ack,) = world.sent("We received your request")
    assert ack["To"] == CUSTOMER
    assert str(ack["Subject"]).startswith(world.as_user(API_USER).refs.subject_tag(key))
    assert world.read(key).category == "Access"

    world.at(MONDAY + timedelta(minutes=10))
    world.move("alice@example.edu", key, "Reviewing")
    world.at(MONDAY + timedelta(hours=2))          # 10:30: Access limit is 2 business hours
    assert world.once() == 0
    assert world.sent("Assigned to you") == []

    world.at(MONDAY + timedelta(hours=2, minutes=20))  # 10:50: 2h10m in Reviewing
    assert world.once() == 0
    (assigned,) = world.sent("Assigned to you")
    (update,) = world.sent("Update on your request")
    ticket = world.read(key)
    assert (ticket.status, ticket.tier) == ("Assigned", 2)
    assert ticket.assignee is not None and assigned["To"] == ticket.assignee.email
    assert update["To"] == CUSTOMER
    assert world.once() == 0                       # the same instant again: nothing new
    assert len(world.messages()) == 3

    engineer = ticket.assignee.email
    world.at(MONDAY + timedelta(hours=3))
    world.move(engineer, key, "In Progress")
    world.at(MONDAY + timedelta(hours=3, minutes=5))
    assert world.once() == 0
    assert len(world.sent("Work has begun")) == 1

    world.at(MONDAY + timedelta(hours=5))
    world.move(engineer, key, "Complete")
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
    world.move("alice@example.edu", key, "Complete")
    world.at(MONDAY + timedelta(hours=8))
    assert world.once() == 0
    assert len(world.sent("Your request is complete")) == 2
    assert len(world.sent("How did we do")) == 1   # once per resolution, not per reopen


def test_idle_cycle_costs_one_search_and_time_rules_cost_nothing(world: World) -> None:
    """With 300 open tickets mirrored, an idle cycle makes exactly one request (the search,
    or Zendesk's export); the time rules run over the mirror without asking the tracker. (The
    owner claim's heartbeat, a read and a write every 15 minutes, is not due at minute 30,
    renewed at minute 20: its cost is test_one_processor's.)"""
    if world.kind == "zendesk":
        world.sandbox.seed(300)                    # customers' tickets, status New, now
        world.at(MONDAY + timedelta(minutes=2))    # past the minute Zendesk leaves out
    else:
        world.sandbox.seed_issues(300, status="Reviewing", start=MONDAY - timedelta(hours=1),
                                  step=timedelta(seconds=1))
        world.at(MONDAY + timedelta(minutes=1))
    assert world.once() == 0                       # picks the 300 up (they are new)
    # Where they were new (Zendesk's seed makes them now), ticketflow acknowledged and
    # categorised them: its own changes come back once, as own changes that trigger nothing.
    world.at(MONDAY + timedelta(minutes=20))
    assert world.once() == 0
    world.sandbox.reset_request_counts()
    world.at(MONDAY + timedelta(minutes=30))       # nothing changed, past the overlap window
    assert world.once() == 0
    counts = world.sandbox.request_counts()
    assert counts["total"] == 1, counts
    assert list(counts["by_endpoint"]) == [FEED[world.kind]], counts


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
    assert all(route.startswith(("GET ", "POST /rest/api/3/search", "POST /rest/api/2/search",
                                 "POST /rest/api/3/changelog"))
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
                 str(world.config_dir)]) == 0
    out = capsys.readouterr().out
    assert 'rule "escalate stale tier 1" (on schedule): does not fire' in out
    assert "of business time since Mon 30 Nov 08:35 CST; limit 4 business hours (tier 1)" in out
    assert "next due: Mon 30 Nov 12:35 CST" in out
    assert "acknowledge" in out and "done" in out
    # The ticket's project, named (Zendesk's is the name mappings.yaml gives its tickets).
    assert re.search(r", project (HELP|SUPPORT)$", out.splitlines()[0])


def test_explain_walks_every_recorded_event(world: World,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`explain KEY` goes through the ticket's history over real HTTP: the acknowledgement
    fired on `created` (from the ledger), a status change ticketflow made (the escalation)
    triggers "assigned to someone" yet is its own, "work started" fired when the engineer
    started; a rule nothing triggered is named; business time reads unambiguously; and
    `--event` evaluates a hypothetical completion."""
    key = _new_ticket(world, "Please create a new project for my lab")
    world.at(MONDAY + timedelta(minutes=5))
    assert world.once() == 0
    world.move("alice@example.edu", key, "Reviewing")
    world.at(MONDAY + timedelta(hours=5))          # 13:30: past tier 1's 4 business hours
    assert world.once() == 0
    assignee = world.read(key).assignee
    assert assignee is not None
    engineer = assignee.email
    world.move(engineer, key, "In Progress")
    world.at(MONDAY + timedelta(days=2, hours=2))  # Wed 10:30
    assert world.once() == 0
    capsys.readouterr()
    explain = ["explain", key, "--now", world.now.isoformat(), "--config-dir",
               str(world.config_dir)]
    assert main(explain) == 0
    out = capsys.readouterr().out
    walk = out[out.index("events:"):out.index("time rules, now")]
    assert ('  Mon 30 Nov 08:30 CST  created\n'
            '    ✓ rule "acknowledge" fired: 0:notify done, 1:categorize done\n') in walk
    assert ('  Mon 30 Nov 08:35 CST  status Pending -> Reviewing\n'
            '    no rule is triggered by it\n') in walk
    assert ('  Mon 30 Nov 13:30 CST  status Reviewing -> Assigned (by ticketflow)\n'
            '    - rule "assigned to someone" did not fire: the event came from ticketflow '
            'itself (include_own_changes is off)\n') in walk
    assert ('status Assigned -> In Progress\n'
            '    ✓ rule "work started" fired: 0:notify done\n') in walk
    assert ('rules no recorded event triggered:\n'
            '  rule "complete" (on status_changed to Complete)\n') in walk
    assert ("✗ time in In Progress: 15h of business time (1 business day 6h) since "
            "Mon 30 Nov 13:30 CST; limit 2 business days (tier 2)") in out
    assert "ledger:" in out

    assert main([*explain, "--event", "status_changed:Complete"]) == 0
    out = capsys.readouterr().out
    assert "if now (Wed 2 Dec 10:30 CST): status In Progress -> Complete" in out
    assert 'rule "complete" (on status_changed): fires now' in out
    assert 'rule "work started" (on status_changed): does not fire' in out
    assert "events:" not in out
    assert main([*explain, "--event", "status_changed:Closed"]) == 2
    assert "no status 'Closed' in rules.yaml" in capsys.readouterr().err


def test_backtest_replays_the_week_on_every_tracker(world: World,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`ticketflow backtest` reads history through the neutral change feed, so it works on
    each tracker: two tickets opened and one taken into work give two acknowledgements and
    one "work started" in the replay, as the service really did, and it writes nothing."""
    first = _new_ticket(world, "Please create a new project for my lab")
    _new_ticket(world, "Export of the survey data")
    world.at(MONDAY + timedelta(minutes=5))
    assert world.once() == 0
    world.move("alice@example.edu", first, "Reviewing")
    world.at(MONDAY + timedelta(minutes=10))
    assert world.once() == 0
    world.move("alice@example.edu", first, "In Progress")
    world.at(MONDAY + timedelta(minutes=20))
    assert world.once() == 0
    sent = len(world.messages())
    world.at(MONDAY + timedelta(hours=2))
    capsys.readouterr()
    assert main(["backtest", "--since", "1d", "--format", "json", "--now",
                 world.now.isoformat(), "--config-dir", str(world.config_dir)]) == 0
    replay = json.loads(capsys.readouterr().out)
    (current,) = replay["versions"]
    counts = {rule: by[current] for rule, by in replay["actions_by_rule"].items()}
    assert counts["acknowledge"] == 4                 # a notify and a categorize, per ticket
    assert counts["work started"] == 1
    assert len(world.messages()) == sent               # nothing delivered, nothing queued
