"""least_loaded picks as of when the escalation fell due: a late cycle (after an outage) picks
the people the on-time cycles picked, whatever happened in between."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from connector.app import build
from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.domain import Ticket
from connector.engine.conditions import Context
from connector.errors import RetriableError
from connector.settings import Settings
from connector.state.base import Transaction
from connector.tracker.fake import FakeTracker
from connector.tracker.values import WorkflowFields
from tests.unit.sync.conftest import ALICE, CAROL, MONDAY, LedgerRig, copy_config


class Down:
    """The tracker during an outage: every request fails as a 503 would."""

    def __getattr__(self, name: str) -> object:
        def unavailable(*_args: object, **_kwargs: object) -> object:
            raise RetriableError("tracker answered 503 Service Unavailable")

        return unavailable


def _week(rig: LedgerRig, *, outage: bool) -> dict[str, str | None]:
    """Monday: Carol holds a tier-2 ticket; two Data export tickets enter Reviewing at 09:00
    and 09:30 (tier 1's 4 business hours end at 13:00 and 13:30); Carol completes her ticket
    at 13:45. Cycles at 13:05 and 13:35, or (`outage`) both fail and the next runs at 14:00."""
    with rig.tracker.acting_as(ALICE):
        held = rig.new_ticket("Please set up a new project")
        rig.tracker.update(held, WorkflowFields(status="Reviewing"))
        rig.tracker.update(held, WorkflowFields(status="Assigned", tier=2, assignee=CAROL))
        first = rig.new_ticket("Report export fails")
        rig.tracker.update(first, WorkflowFields(status="Reviewing"))
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    rig.advance(timedelta(minutes=25))  # 09:30
    second = rig.new_ticket("Data export to CSV times out")
    rig.move(second, "Reviewing")
    rig.advance(timedelta(hours=3, minutes=35))  # 13:05
    _cycle(rig, outage)
    rig.advance(timedelta(minutes=30))  # 13:35
    _cycle(rig, outage)
    rig.advance(timedelta(minutes=10))  # 13:45
    rig.move(held, "In Progress", "Complete", by=CAROL)
    rig.advance(timedelta(minutes=15))  # 14:00
    rig.cycle()
    assert rig.clock.now() == MONDAY + timedelta(hours=5)
    return {key: _assignee(rig.tracker, key) for key in (first, second)}


def _cycle(rig: LedgerRig, outage: bool) -> None:
    if not outage:
        rig.cycle()
        return
    try:
        rig.cycle(tracker=Down())
    except RetriableError:
        return
    raise AssertionError("a cycle in the outage completed")


def _assignee(tracker: FakeTracker, key: str) -> str | None:
    ticket = tracker.ticket(key)
    return ticket.assignee.email if ticket.assignee else None


def test_a_late_cycle_picks_whom_the_on_time_cycles_picked(
        make_rig: Callable[..., LedgerRig]) -> None:
    """Two escalations fall due (13:00, 13:30) while the tracker is down; one cycle at 14:00
    performs both, after Carol completed her only ticket at 13:45. As of 13:00 Carol held one
    ticket and Bob none: Bob. As of 13:30 Bob held the one just picked and Carol hers: a tie,
    Bob (first listed). The on-time cycles pick the same; counting the load at 14:00 instead
    gave the second to Carol."""
    on_time = _week(make_rig(name="on-time"), outage=False)
    late = _week(make_rig(name="late"), outage=True)
    assert list(on_time.values()) == ["bob@example.edu", "bob@example.edu"]
    assert late == on_time


def test_escalations_due_at_one_instant_are_recorded_longest_waiting_first(
        tmp_path: Path) -> None:
    """Three Zendesk tickets (ids 82, 93, 105) reach tier 1's limit at the same instant,
    Wednesday 10:00, having entered Reviewing Tuesday 15:00 (a Data export ticket, 4 business
    hours) and 17:00 and 18:30 (Access, 2 business hours). The cycle
    records (and so performs, and picks for) them longest waiting first: 82, 93, 105, as on
    Jira (HELP-82, HELP-93, HELP-105). The due index alone gave the ids' text order, 105
    first, so least_loaded saw other earlier picks on each tracker."""
    copy_config(tmp_path)
    config = load_config(tmp_path)
    tuesday = MONDAY + timedelta(days=1)
    waiting = {"82": (tuesday.replace(hour=15), "Data export"),
               "93": (tuesday.replace(hour=17), "Access"),
               "105": (tuesday.replace(hour=18, minute=30), "Access")}
    clock = SettableClock(tuesday.replace(hour=19))
    tracker = FakeTracker.from_config(config, clock=clock)
    settings = Settings(state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox",
                        _env_file=None)  # type: ignore[call-arg]
    service = build(config, settings, clock=clock, tracker=tracker)
    try:
        service.store.commit(Transaction(tickets=[
            Ticket(issue_id=number, key=number, project="HELP", status="Reviewing",
                   status_since=since, created=since, updated=since, tier=1,
                   category=category)
            for number, (since, category) in waiting.items()]))
        clock.set(MONDAY + timedelta(days=2, hours=1, minutes=30))  # Wednesday 10:30
        ctx = Context(config, service.runtime.calendar, clock.now())
        recorded = service.cycle.evaluate_time_rules(ctx)
    finally:
        service.close()
    escalations = [e.issue_key for e in recorded if e.action.endswith(":escalate")]
    assert escalations == ["82", "93", "105"]
