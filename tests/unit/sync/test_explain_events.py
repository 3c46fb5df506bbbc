"""`explain`'s walk over recorded events: for each rule an event triggers, fired (the ledger),
or why not: before the first sync, disabled, ticketflow's own change, a condition that failed
on the ticket as it was then, or nothing recorded though the rule would fire."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.config.loader import Config, load_config
from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.engine.conditions import Context
from connector.engine.events import Event
from connector.state.base import Effect
from connector.sync.explain import Recorded, as_of, event_lines
from connector.tracker.feed import Change, ChangeItem

ROOT = Path(__file__).resolve().parents[3]
CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT)


def _rule(name: str, on: object, *, when: object = None, **extra: object) -> Rule:
    spec = {"name": name, "on": on, "then": [{"notify": {"to": "customer",
                                                        "template": "work_started"}}], **extra}
    if when is not None:
        spec["if"] = when
    return Rule.model_validate(spec)


def _ticket() -> Ticket:
    """HELP-7 now: In Progress at tier 2 (it was tier 1 and Reviewing before 11:00)."""
    return Ticket(issue_id="7", key="HELP-7", project="HELP", status="In Progress",
                  status_since=MONDAY + timedelta(hours=2), created=MONDAY, updated=MONDAY,
                  tier=2, category="Access")


HISTORY = (
    Change("c1", MONDAY + timedelta(hours=1), None,
           (ChangeItem("status", before="Pending", after="Reviewing"),)),
    Change("c2", MONDAY + timedelta(hours=2), None,
           (ChangeItem("status", before="Reviewing", after="In Progress"),
            ChangeItem("tier", before="1", after="2"))),
)


def _event(kind: str, at: datetime, trigger: str, **fields: object) -> Event:
    return Event(kind=kind, issue_id="7", issue_key="HELP-7", at=at, trigger=trigger,  # type: ignore[arg-type]
                 **fields)  # type: ignore[arg-type]


def _lines(config: Config, rules: list[Rule], events: list[Event], effects: list[Effect],
           baseline: datetime | None) -> str:
    ctx = Context(config, BusinessCalendar.from_config(config.rules.calendar),
                  MONDAY + timedelta(days=1))
    recorded = Recorded(_ticket(), HISTORY, events, effects, baseline)
    return "\n".join(event_lines(rules, recorded, ctx))


def test_the_ticket_as_it_was_then() -> None:
    """Before 10:00 the ticket was Pending at tier 1, since its creation; at 10:30 Reviewing
    since 10:00; after 11:00 as it is now."""
    ticket = _ticket()
    early = as_of(ticket, HISTORY, MONDAY + timedelta(minutes=30))
    assert (early.status, early.tier, early.status_since) == ("Pending", 1, MONDAY)
    middle = as_of(ticket, HISTORY, MONDAY + timedelta(minutes=90))
    assert (middle.status, middle.tier) == ("Reviewing", 1)
    assert middle.status_since == MONDAY + timedelta(hours=1)
    assert as_of(ticket, HISTORY, MONDAY + timedelta(hours=3)) == ticket


def test_each_reason_a_rule_did_not_fire(config: Config) -> None:
    """One event per reason: fired (a ledger row on that trigger), predates the baseline
    (with its date), disabled, made by ticketflow, a condition that failed on the ticket as
    it was then (tier 1 at 10:00, though tier 2 now), and would fire yet nothing recorded."""
    created = _event("created", MONDAY, "created")
    review = _event("status_changed", MONDAY + timedelta(hours=1), "chg:c1:status",
                    from_status="Pending", to_status="Reviewing")
    work = _event("status_changed", MONDAY + timedelta(hours=2), "chg:c2:status",
                  from_status="Reviewing", to_status="In Progress")
    note = _event("commented", MONDAY + timedelta(hours=3), "comment:9", by="staff", own=True)
    reply = _event("commented", MONDAY + timedelta(hours=4), "comment:10", by="customer")
    rules = [
        _rule("ack", "created"),
        _rule("tier 2 review", {"status_changed": {"to": "Reviewing"}}, when={"tier": 2}),
        _rule("off", {"status_changed": {"to": "In Progress"}}, enabled=False),
        _rule("started", {"status_changed": {"to": "In Progress"}}),
        _rule("on any comment", "commented"),
        _rule("on completion", {"status_changed": {"to": "Complete"}}),
    ]
    fired = Effect("HELP-7|started|chg:c2:status|0:notify", "HELP-7", "started", "0:notify",
                   "chg:c2:status", status="done")
    text = _lines(config, rules, [created, review, work, note, reply], [fired],
                  baseline=MONDAY + timedelta(minutes=30))
    assert ('- rule "ack" was not evaluated: the event predates ticketflow\'s first sync '
            "(the baseline, Mon 30 Nov 09:30 CST)") in text
    assert ('✗ rule "tier 2 review" did not fire: a condition failed (as the ticket was then)\n'
            "      ✗ tier is 1 (wanted 2)") in text
    assert '- rule "off" is disabled' in text
    assert '✓ rule "started" fired: 0:notify done' in text
    assert "Mon 30 Nov 12:00 CST  comment by staff (by ticketflow)\n" in text
    assert ('- rule "on any comment" did not fire: the event came from ticketflow itself'
            in text)
    assert ('? rule "on any comment" would fire, yet the ledger has nothing for it' in text)
    assert text.endswith('rules no recorded event triggered:\n'
                         '  rule "on completion" (on status_changed to Complete)')


def test_without_a_baseline_nothing_is_said_to_predate_it(config: Config) -> None:
    """A state from before baselines were kept: every event is judged on its own."""
    text = _lines(config, [_rule("ack", "created")], [_event("created", MONDAY, "created")],
                  [], baseline=None)
    assert "predates" not in text
    assert '? rule "ack" would fire' in text
