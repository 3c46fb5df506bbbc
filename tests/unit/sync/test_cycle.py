"""The cycle over a hand-written FakeTracker and a real SQLite state file.

Comments become events, a restart finishes recorded work exactly once, the census makes a gap
loud, and the circuit breaker stops a runaway ticket.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.app import build
from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.engine.conditions import Context
from connector.settings import Settings
from connector.state.base import Transaction
from connector.tracker.fake import FakeTracker
from connector.tracker.values import NewTicket, Person, WorkflowFields

ROOT = Path(__file__).resolve().parents[3]
CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO)
CUSTOMER = Person("acc-pat", "pat@uni.example.edu", "Pat Doe")
ALICE = Person("acc-alice", "alice@example.edu", "Alice")
BOB = Person("acc-bob", "bob@example.edu", "Bob")


@dataclass
class Rig:
    config: Config
    clock: SettableClock
    tracker: FakeTracker
    settings: Settings

    def cycle(self) -> object:
        service = build(self.config, self.settings, clock=self.clock, tracker=self.tracker)
        try:
            return service.cycle.run()
        finally:
            service.close()

    def new_ticket(self, summary: str) -> str:
        with self.tracker.acting_as(ALICE):
            return self.tracker.create(NewTicket(summary, "",
                                                 WorkflowFields(customer=CUSTOMER.email)))

    def outbox(self) -> list[str]:
        return sorted(p.name for p in self.settings.outbox_dir.glob("*.eml"))


def _config_with(tmp_path: Path, extra_rules: str) -> Config:
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    with (tmp_path / "rules.yaml").open("a") as rules:
        rules.write(extra_rules)
    template = tmp_path / "rules" / "templates" / "customer_replied.txt.j2"
    template.write_text("Subject: [{{ ticket.key }}] The customer replied\n\nSee the ticket.\n")
    return load_config(tmp_path)


def _new_rig(tmp_path: Path) -> Rig:
    """A fake tracker and a state file, with a rule that notifies on customer replies; no
    cycle has run yet."""
    config = _config_with(tmp_path, """
  - name: customer replied
    on: {commented: {by: customer}}
    then:
      - notify: {to: assignee, template: customer_replied}
""")
    clock = SettableClock(MONDAY)
    tracker = FakeTracker.from_config(config, clock=clock, people=[ALICE, BOB, CUSTOMER])
    settings = Settings(state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox",
                        jira_url="https://jira.example.edu", _env_file=None)  # type: ignore[call-arg]
    return Rig(config, clock, tracker, settings)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    rig = _new_rig(tmp_path)
    rig.cycle()  # first run: backfill
    return rig


def test_customer_comment_fires_rule_and_staff_comment_does_not(rig: Rig) -> None:
    """A comment by the customer is `commented by customer`; the mirror keeps its time."""
    key = rig.new_ticket("Export fails")
    rig.tracker.update(key, WorkflowFields(assignee=BOB))
    rig.clock.advance(timedelta(minutes=5))
    rig.cycle()
    before = rig.outbox()
    with rig.tracker.acting_as(BOB):
        rig.tracker.add_comment(key, "Could you send the file?", public=True)
    rig.clock.advance(timedelta(minutes=5))
    rig.cycle()
    assert rig.outbox() == before                       # staff comment: no notice
    with rig.tracker.acting_as(CUSTOMER):
        rig.tracker.add_comment(key, "Here it is.", public=True)
    replied_at = rig.clock.now()
    rig.clock.advance(timedelta(minutes=5))
    rig.cycle()
    new = sorted(set(rig.outbox()) - set(before))
    assert len(new) == 1
    assert "customer_replied" in new[0]
    store = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker).store
    ticket = store.ticket_by_key(key)
    assert ticket is not None
    assert ticket.last_customer_reply == replied_at
    store.close()


def _replies_seen(rig: Rig, key: str) -> list[str]:
    """The comments the `customer replied` rule fired on (its ledger rows' triggers)."""
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    try:
        return sorted(e.trigger for e in service.store.effects_for(key)
                      if e.rule == "customer replied")
    finally:
        service.close()


def test_more_comments_between_polls_than_a_read_brings_are_each_an_event(
        tmp_path: Path) -> None:
    """A read brings a ticket's 20 newest comments. 50 customer replies between two polls
    are 50 events: the rest are read, paged; the 30 comments the ticket had before the first
    run stay old (no event), also when all of one poll's embedded comments are new."""
    rig = _new_rig(tmp_path)
    key = rig.new_ticket("Export fails")
    rig.tracker.update(key, WorkflowFields(assignee=BOB))
    with rig.tracker.acting_as(CUSTOMER):
        for n in range(30):
            rig.tracker.add_comment(key, f"before ticketflow {n}", public=True)
    rig.clock.advance(timedelta(minutes=1))
    rig.cycle()                                      # first run: backfill
    with rig.tracker.acting_as(CUSTOMER):
        posted = [rig.tracker.add_comment(key, f"reply {n}", public=True) for n in range(50)]
    rig.clock.advance(timedelta(minutes=1))
    rig.cycle()
    assert _replies_seen(rig, key) == sorted(f"comment:{c.id}" for c in posted)
    rig.clock.advance(timedelta(minutes=1))
    calls = len(rig.tracker.calls)
    rig.cycle()                                      # nothing new: no comment read
    assert "comments" not in rig.tracker.calls[calls:]
    assert len(_replies_seen(rig, key)) == 50


def test_restart_finishes_recorded_work_once(rig: Rig) -> None:
    """Effects recorded by a run that died before performing them are performed by the next
    run, once; a further run performs nothing more."""
    key = rig.new_ticket("Locked out of my account")
    rig.clock.advance(timedelta(minutes=5))
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    ctx = Context(rig.config, service.runtime.calendar, rig.clock.now())
    recorded = service.cycle.poller.poll(ctx, rig.clock.now())   # ... and the process dies here
    service.close()
    assert [e.action for e in recorded] == ["0:notify", "1:categorize"]
    assert rig.outbox() == []
    rig.cycle()                                             # the restart
    assert len(rig.outbox()) == 1
    assert rig.tracker.ticket(key).category == "Access"
    calls = len(rig.tracker.calls)
    rig.cycle()
    assert len(rig.outbox()) == 1
    assert "update" not in rig.tracker.calls[calls:]


def test_census_gap_is_logged(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """A ticket the tracker has but the mirror lost is reported as a census gap."""
    rig.new_ticket("First")
    rig.clock.advance(timedelta(minutes=5))
    rig.cycle()
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    (ticket,) = service.store.open_tickets("HELP")
    service.store.commit(Transaction(closed_issue_ids=[ticket.issue_id]))  # the mirror loses it
    caplog.set_level(logging.WARNING)
    assert service.cycle.census() == (1, 0)
    service.close()
    assert "census gap: 1 open tickets in the tracker, 0 in the mirror" in caplog.text


class LaggingTracker(FakeTracker):
    """A tracker whose feed has not shown `recent` changes yet (Zendesk's last minute): its
    open count already differs by `unseen` from what the feed brought."""

    feed_lag = timedelta(minutes=1)
    unseen = 0
    recent = 0
    asked: list[timedelta]

    def count_open(self) -> int:
        return super().count_open() + self.unseen

    def count_changed_within(self, span: timedelta) -> int:
        self.asked.append(span)
        return self.recent


@pytest.mark.parametrize(("unseen", "recent", "gap"), [(1, 1, 0), (-1, 2, 0), (2, 1, 2)])
def test_a_gap_within_the_feeds_lag_is_no_gap(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, unseen: int, recent: int,
        gap: int) -> None:
    """On a tracker whose feed lags, a census difference no larger than the tickets changed
    within the lag (asked over the lag and a minute's margin) is said at INFO and neither
    warned about nor repaired; a larger one is a gap as before."""
    rig = _new_rig(tmp_path)
    tracker = LaggingTracker.from_config(rig.config, clock=rig.clock, people=[ALICE, BOB])
    assert isinstance(tracker, LaggingTracker)
    tracker.asked, tracker.unseen, tracker.recent = [], unseen, recent
    rig.tracker = tracker
    rig.new_ticket("First")
    rig.clock.advance(timedelta(minutes=5))
    rig.cycle()
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=tracker)
    caplog.set_level(logging.INFO)
    tracker.asked.clear()  # the cycle's own census asked too
    caplog.clear()
    counts = service.cycle.census()
    assert counts == (1 + unseen, 1)
    census = service.store.last_census(rig.config.mappings.project)
    assert census is not None and census.gap == gap
    service.close()
    assert tracker.asked == [timedelta(minutes=2)]
    assert ("census gap:" in caplog.text) is bool(gap)
    assert ("census repair:" in caplog.text) is bool(gap)
    assert ("changed within the change feed's lag: no gap" in caplog.text) is not bool(gap)


def test_census_runs_hourly_across_processes(rig: Rig) -> None:
    """Each run is a new process (cron); the census still runs only once an hour."""
    rig.clock.advance(timedelta(minutes=10))
    first = rig.cycle()
    rig.clock.advance(timedelta(minutes=10))
    second = rig.cycle()
    rig.clock.advance(timedelta(hours=1))
    third = rig.cycle()
    assert [r.census is not None for r in (first, second, third)] == [False, False, True]  # type: ignore[attr-defined]


def test_circuit_breaker_stops_a_runaway_ticket(rig: Rig, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """Past `max_actions_per_issue_per_hour`, further actions are skipped and said once."""
    key = rig.new_ticket("Noisy")
    rig.tracker.update(key, WorkflowFields(assignee=BOB))
    rig.clock.advance(timedelta(minutes=1))
    rig.cycle()
    limited = rig.config.rules.model_copy(update={
        "limits": rig.config.rules.limits.model_copy(update={"max_actions_per_issue_per_hour": 3})})
    rig.config = Config(limited, rig.config.mappings, rig.config.templates,
                        rig.config.config_dir, rig.config.files)
    caplog.set_level(logging.WARNING)
    for reply in range(4):
        with rig.tracker.acting_as(CUSTOMER):
            rig.tracker.add_comment(key, f"reply {reply}", public=True)
        rig.clock.advance(timedelta(minutes=1))
        rig.cycle()
    replied = [name for name in rig.outbox() if "customer_replied" in name]
    assert len(replied) == 1          # 2 actions on creation + 1 reply notice = the limit 3
    assert caplog.text.count("circuit breaker") == 1


def test_a_cron_run_that_left_mail_behind_fails_after_syncing(rig: Rig) -> None:
    """Mail intake reports a refused mailbox instead of raising; `once` still polls, acts and
    delivers, then fails (exit 1) saying why, so cron does not report success."""
    from connector.errors import RetriableError
    from connector.mail.intake.ingest import IngestReport

    key = rig.new_ticket("Locked out")
    rig.clock.advance(timedelta(minutes=5))
    service = build(rig.config, rig.settings, clock=rig.clock, tracker=rig.tracker)
    service.cycle.ingest = lambda now: IngestReport(error="mailbox not read: login refused")
    try:
        with pytest.raises(RetriableError, match="mail intake mailbox not read: login refused"):
            service.cycle.run()
    finally:
        service.close()
    assert any("request_submitted" in name for name in rig.outbox())  # synced and delivered
    assert rig.tracker.ticket(key).category == "Access"
