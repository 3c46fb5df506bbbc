"""The planner turns (rules, ticket, events, now) into once-only actions, and explains itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.config.loader import Config, load_config
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.engine.conditions import Context
from connector.engine.events import Event, schedule_event
from connector.engine.planner import explain, plan, render_explanation

ROOT = Path(__file__).resolve().parents[3]
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT)


def _ctx(config: Config, now: datetime) -> Context:
    return Context(config, BusinessCalendar.from_config(config.rules.calendar), now)


def _ticket(**changes: object) -> Ticket:
    base = Ticket(issue_id="10001", key="HELP-1", project="HELP", status="Reviewing",
                  status_since=datetime(2026, 12, 1, 9, 50, tzinfo=CHICAGO),
                  created=datetime(2026, 12, 1, 9, 0, tzinfo=CHICAGO),
                  updated=datetime(2026, 12, 1, 9, 50, tzinfo=CHICAGO),
                  summary="Cannot log in to REDCap", tier=1, category="Other",
                  customer="pat@uni.example.edu")
    return replace(base, **changes)  # type: ignore[arg-type]


def _event(kind: str, **fields: object) -> Event:
    base = Event(kind="created", issue_id="10001", issue_key="HELP-1",
                 at=datetime(2026, 12, 1, 10, tzinfo=CHICAGO), trigger="chg-1")
    return replace(base, kind=kind, **fields)  # type: ignore[arg-type]


def test_created_ticket_is_acknowledged_and_categorised(config: Config) -> None:
    """`on: created` plans the request_submitted notice and categorize, in rule order."""
    ctx = _ctx(config, datetime(2026, 12, 1, 10, tzinfo=CHICAGO))
    planned = plan(config.rules.rules, _ticket(status="Pending"),
                   [_event("created", trigger="created")], ctx)
    assert [(p.rule, p.name) for p in planned] == [("acknowledge", "notify"),
                                                  ("acknowledge", "categorize")]
    assert planned[0].effect_key == "HELP-1|acknowledge|created|0:notify"


def test_stale_tier1_ticket_escalates_after_its_business_hours(config: Config) -> None:
    """In Reviewing since Tue 09:50, tier 1's 4 business hours pass at 13:50, not before."""
    ticket = _ticket()
    early = _ctx(config, datetime(2026, 12, 1, 13, 40, tzinfo=CHICAGO))
    late = _ctx(config, datetime(2026, 12, 1, 14, 0, tzinfo=CHICAGO))
    tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                          late.now)
    assert plan(config.rules.rules, ticket, [tick], early) == []
    planned = plan(config.rules.rules, ticket, [tick], late)
    assert [(p.rule, p.name) for p in planned] == [
        ("escalate stale tier 1", "escalate"), ("escalate stale tier 1", "notify"),
        ("escalate stale tier 1", "notify")]


def test_escalation_key_is_per_entry_into_the_status(config: Config) -> None:
    """Re-planning the same stay gives the same keys; a new entry into the status, new keys."""
    ctx = _ctx(config, datetime(2026, 12, 3, 9, tzinfo=CHICAGO))
    ticket = _ticket()
    first = plan(config.rules.rules, ticket, [schedule_event(
        ticket.issue_id, ticket.key, ticket.status, ticket.status_since, ctx.now)], ctx)
    again = plan(config.rules.rules, ticket, [schedule_event(
        ticket.issue_id, ticket.key, ticket.status, ticket.status_since, ctx.now + timedelta(
            hours=1))], ctx)
    assert [p.effect_key for p in first] == [p.effect_key for p in again]
    moved = replace(ticket, status_since=datetime(2026, 12, 2, 8, tzinfo=CHICAGO))
    later = plan(config.rules.rules, moved, [schedule_event(
        moved.issue_id, moved.key, moved.status, moved.status_since, ctx.now)], ctx)
    assert {p.effect_key for p in later}.isdisjoint({p.effect_key for p in first})


def test_category_limit_overrides_the_tier_limit(config: Config) -> None:
    """An Access ticket escalates after tier 1's 2 business hours for Access."""
    ctx = _ctx(config, datetime(2026, 12, 1, 12, 0, tzinfo=CHICAGO))
    ticket = _ticket(category="Access")
    tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                          ctx.now)
    assert plan(config.rules.rules, ticket, [tick], ctx)
    assert not plan(config.rules.rules, _ticket(category="Other"), [tick], ctx)


def test_own_changes_trigger_nothing_unless_opted_in(config: Config) -> None:
    """A status change ticketflow made itself does not fire `work started`."""
    ctx = _ctx(config, datetime(2026, 12, 1, 10, tzinfo=CHICAGO))
    ticket = _ticket(status="In Progress")
    human = _event("status_changed", from_status="Reviewing", to_status="In Progress")
    ours = replace(human, own=True)
    assert [p.rule for p in plan(config.rules.rules, ticket, [human], ctx)] == ["work started"]
    assert plan(config.rules.rules, ticket, [ours], ctx) == []
    opted = [r.model_copy(update={"include_own_changes": True}) for r in config.rules.rules]
    assert [p.rule for p in plan(opted, ticket, [ours], ctx)] == ["work started"]


def test_survey_is_keyed_once_per_ticket(config: Config) -> None:
    """Two completions (a reopen between) plan surveys with one and the same ledger key."""
    ctx = _ctx(config, datetime(2026, 12, 1, 10, tzinfo=CHICAGO))
    ticket = _ticket(status="Complete")
    first = plan(config.rules.rules, ticket, [_event(
        "status_changed", from_status="In Progress", to_status="Complete", trigger="chg-7")], ctx)
    second = plan(config.rules.rules, ticket, [_event(
        "status_changed", from_status="Reviewing", to_status="Complete", trigger="chg-9")], ctx)
    survey_keys = {p.effect_key for p in first + second if p.name == "survey"}
    assert survey_keys == {"HELP-1|survey"}


def test_explain_shows_the_business_time_arithmetic(config: Config) -> None:
    """`explain` names every rule, each condition's value, and when a time rule is next due."""
    ctx = _ctx(config, datetime(2026, 12, 1, 12, 0, tzinfo=CHICAGO))
    ticket = _ticket()
    tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                          ctx.now)
    lines = render_explanation(explain(config.rules.rules, ticket, tick, ctx), ctx)
    text = "\n".join(lines)
    assert 'rule "escalate stale tier 1" (on schedule): does not fire' in text
    assert ("✗ time in Reviewing: 2h10m of business time since Tue 1 Dec 09:50 CST; "
            "limit 4 business hours (tier 1)") in text
    assert "next due: Tue 1 Dec 13:50 CST" in text
    assert 'rule "acknowledge" (on created): does not fire' in text
    assert len([line for line in lines if line.startswith("rule ")]) == len(config.rules.rules)
