"""The backtest's replay with plain values: a time rule fires at the first instant its
business-time limit is passed within a stay (the clock jumps to it), not on a stay too short,
and a survey counts once per ticket however often the ticket is completed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.backtest.replay import History, Window, replay
from connector.config.loader import load_config
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.engine.conditions import Context
from connector.engine.events import Event
from connector.tracker.feed import Change, ChangeItem

ROOT = Path(__file__).resolve().parents[3]
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("America/Chicago"))


def _move(at: datetime, before: str, after: str, n: int) -> Change:
    return Change(f"c{n}", at, None, (ChangeItem("status", before=before, after=after),))


def _status_event(change: Change) -> Event:
    item = change.items[0]
    return Event(kind="status_changed", issue_id="1", issue_key="HELP-1", at=change.at,
                 trigger=f"chg:{change.id}:status", from_status=item.before,
                 to_status=item.after)


def test_time_rules_fire_when_due_and_a_survey_once() -> None:
    """Reviewing from 08:00 to 13:00 Monday (tier 1, limit 4 business hours): escalated at
    12:01; Reviewing again Tuesday for one hour: nothing. Completed twice: two completion
    notices, one survey."""
    config = load_config(ROOT)
    moves = [_move(MONDAY, "Pending", "Reviewing", 1),
             _move(MONDAY + timedelta(hours=5), "Reviewing", "Complete", 2),
             _move(MONDAY + timedelta(days=1), "Complete", "Reviewing", 3),
             _move(MONDAY + timedelta(days=1, hours=1), "Reviewing", "Complete", 4)]
    ticket = Ticket(issue_id="1", key="HELP-1", project="HELP", status="Complete",
                    status_since=moves[-1].at, created=MONDAY - timedelta(minutes=5),
                    updated=moves[-1].at, tier=1, category="Other", open=False)
    history = History(ticket, moves, [_status_event(m) for m in moves])
    ctx = Context(config, BusinessCalendar.from_config(config.rules.calendar),
                  MONDAY + timedelta(days=2))
    fired = replay(config.rules.rules, history, Window(MONDAY - timedelta(days=1), ctx.now),
                   ctx)
    escalations = [f for f in fired if f.rule == "escalate stale tier 1"]
    assert [f.at for f in escalations] == [MONDAY + timedelta(hours=4, minutes=1)]
    completions = [f for f in fired if f.rule == "complete"]
    assert [f.actions for f in completions] == [("notify", "survey"), ("notify",)]
