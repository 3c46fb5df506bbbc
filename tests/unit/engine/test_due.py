"""When a ticket's time rules next need evaluating: exactly the first instant a rule that does
not hold now starts to hold, never later (a missed escalation), and not needlessly earlier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.config.conditions import CONDITIONS, AllOf, AnyOf, NotCondition
from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.engine.conditions import (
    TIME_CONDITIONS,
    Context,
    elapsed_bounds,
    evaluate,
    evaluate_all,
)
from connector.engine.due import COMBINATORS, TIMELESS, Spans, micros, next_due, spans_of

from .due_cases import SHIPPED, START, Case, cases, conditions, config_of, tickets

CHICAGO = ZoneInfo("America/Chicago")
US = timedelta(microseconds=1)
# Monday 30 November 2026, 10:00 in Chicago: the shipped calendar works 08:00-17:00 Mon-Fri.
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=CHICAGO)


def _rule(conditions: list[Any], name: str = "wait", *, enabled: bool = True) -> Rule:
    return Rule.model_validate({"name": name, "on": "schedule", "if": conditions,
                                "enabled": enabled,
                                "then": [{"notify": {"to": "customer", "template": "escalated"}}]})


def _ticket(**changes: Any) -> Ticket:
    base = Ticket(issue_id="10001", key="HELP-1", project="HELP", status="Reviewing",
                  status_since=MONDAY, created=MONDAY, updated=MONDAY, tier=1,
                  category="Other", customer="pat@uni.example.edu")
    return replace(base, **changes)


def _due(rules: list[Rule], ticket: Ticket, now: datetime) -> datetime | None:
    config = config_of(rules, SHIPPED.rules.calendar, SHIPPED.rules.tiers)
    ctx = Context(config, BusinessCalendar.from_config(config.rules.calendar), now)
    return next_due(config.rules.rules, ticket, ctx)


def test_wall_time_comes_due_the_microsecond_after_the_limit() -> None:
    """`over: 4h` holds once more than 4 hours have passed: due 4 h and 1 µs after entry."""
    due = _due([_rule([{"time_in_status": {"over": "4h"}}])], _ticket(), MONDAY)
    assert due == MONDAY + timedelta(hours=4) + US


def test_business_time_skips_the_night_and_weekend() -> None:
    """From Friday 16:00, 4 business hours have passed on Monday at 11:00 (1 h Friday, 3 h
    Monday), not at Friday 20:00."""
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=CHICAGO)
    due = _due([_rule([{"time_in_status": {"over": "4 business hours"}}])],
               _ticket(status_since=friday), friday)
    assert due == datetime(2026, 12, 7, 11, 0, tzinfo=CHICAGO) + US


def test_a_limit_met_exactly_at_closing_time_comes_due_next_morning() -> None:
    """Entered after hours on Monday, `over: 1 business day` has exactly 9 h at Tuesday's close
    (not more), so the ticket is due at Wednesday's opening, not all night."""
    evening = datetime(2026, 11, 30, 19, 0, tzinfo=CHICAGO)
    due = _due([_rule([{"time_in_status": {"over": "1 business day"}}])],
               _ticket(status_since=evening), evening)
    assert due == datetime(2026, 12, 2, 8, 0, tzinfo=CHICAGO) + US


def test_the_tier_limit_follows_tier_and_category() -> None:
    """`over: tier_limit` is 4 business hours for tier 1, 2 for its Access tickets, and never
    for a tier that is not configured."""
    rule = _rule([{"time_in_status": {"over": "tier_limit"}}])
    assert _due([rule], _ticket(), MONDAY) == MONDAY + timedelta(hours=4) + US
    assert _due([rule], _ticket(category="Access"), MONDAY) == MONDAY + timedelta(hours=2) + US
    assert _due([rule], _ticket(tier=7), MONDAY) is None


def test_timeless_conditions_that_fail_make_the_ticket_never_due() -> None:
    """Status, tier and category do not change with time: a rule they fail waits for the
    ticket to change, however soon its time condition would hold."""
    rule = _rule([{"status": ["Assigned"]}, {"time_in_status": {"over": "1m"}}])
    assert _due([rule], _ticket(status="Reviewing"), MONDAY) is None
    assert _due([rule], _ticket(status="Assigned"), MONDAY) == MONDAY + timedelta(minutes=1) + US


def test_a_rule_that_holds_now_is_not_waited_for() -> None:
    """A rule holding now fires now, once per stay in the status: nothing to wait for; a
    disabled rule is never waited for either."""
    late = MONDAY + timedelta(hours=5)
    assert _due([_rule([{"time_in_status": {"over": "4h"}}])], _ticket(), late) is None
    assert _due([_rule([{"time_in_status": {"over": "4h"}}], enabled=False)], _ticket(),
                MONDAY) is None


def test_not_of_a_time_condition_is_due_only_if_it_can_become_true_again() -> None:
    """`not: {age: {over: 3d}}` holds now (fired) and stops holding in 3 days, never to hold
    again: never due. `not: {age: {under: 3d}}` does not hold now, and holds from 3 days on."""
    over = _rule([{"not": [{"age": {"over": "3d"}}]}])
    under = _rule([{"not": [{"age": {"under": "3d"}}]}])
    assert _due([over], _ticket(), MONDAY) is None
    assert _due([over], _ticket(), MONDAY + timedelta(days=4)) is None
    assert _due([under], _ticket(), MONDAY) == MONDAY + timedelta(days=3)


def test_a_window_is_due_at_its_start_and_never_once_it_has_passed() -> None:
    """`{over: 1h, under: 2h}` holds between one and two hours in: due at the start; once
    past, never again."""
    rule = _rule([{"age": {"over": "1h", "under": "2h"}}])
    assert _due([rule], _ticket(), MONDAY) == MONDAY + timedelta(hours=1) + US
    assert _due([rule], _ticket(), MONDAY + timedelta(hours=3)) is None


def test_any_is_due_at_its_first_part_all_at_its_last() -> None:
    """`any` of two waits comes due with the sooner, `all` with the later; several rules
    come due with the soonest."""
    one, two = {"age": {"over": "1h"}}, {"time_in_status": {"over": "2h"}}
    ticket = _ticket()
    assert _due([_rule([{"any": [one, two]}])], ticket, MONDAY) == MONDAY + timedelta(hours=1) + US
    assert _due([_rule([one, two])], ticket, MONDAY) == MONDAY + timedelta(hours=2) + US
    assert _due([_rule([two], "a"), _rule([one], "b")], ticket,
                MONDAY) == MONDAY + timedelta(hours=1) + US


def test_not_of_two_windows_is_due_in_the_gap_between_them() -> None:
    """`not: {any: [{age: {under: 1h}}, {age: {over: 2h}}]}` holds from one hour in until just
    after two: due at the hour exactly, and not again once the gap has passed."""
    rule = _rule([{"not": [{"any": [{"age": {"under": "1h"}}, {"age": {"over": "2h"}}]}]}])
    assert _due([rule], _ticket(), MONDAY) == MONDAY + timedelta(hours=1)
    assert _due([rule], _ticket(), MONDAY + timedelta(hours=3)) is None


def test_since_customer_reply_counts_from_the_reply() -> None:
    """The customer's last reply restarts `since_customer_reply` (creation when none)."""
    rule = _rule([{"since_customer_reply": {"over": "1d"}}])
    replied = MONDAY + timedelta(hours=3)
    assert _due([rule], _ticket(), MONDAY) == MONDAY + timedelta(days=1) + US
    assert _due([rule], _ticket(last_customer_reply=replied), replied) == (
        replied + timedelta(days=1) + US)


def test_every_condition_kind_is_known_to_change_with_time_or_not() -> None:
    """Each `if:` kind is a time condition, a combinator or timeless; a new kind must be put in
    one (taking a time condition for timeless would miss its actions)."""
    kinds = set(CONDITIONS.values())
    assert set(TIME_CONDITIONS) | TIMELESS | COMBINATORS == kinds
    assert not (set(TIME_CONDITIONS) & TIMELESS)


def _holds(rules: list[Rule], ticket: Ticket, ctx: Context, at: datetime) -> bool:
    return any(evaluate_all(r.if_, ticket, replace(ctx, now=at)).holds for r in rules)


def _edges(conditions: Sequence[object], ticket: Ticket, ctx: Context) -> list[datetime]:
    """Instants around which a time condition's verdict may change: where its bounds are
    reached (by the calendar's own addition), give or take two microseconds."""
    found: list[datetime] = []
    for condition in conditions:
        if isinstance(condition, AllOf | AnyOf | NotCondition):
            inner = (condition.all if isinstance(condition, AllOf) else condition.any
                     if isinstance(condition, AnyOf) else condition.not_)
            found += _edges(inner, ticket, ctx)
        elif type(condition) in TIME_CONDITIONS:
            _, since, spec = TIME_CONDITIONS[type(condition)](condition, ticket)
            bounds = elapsed_bounds(spec, ticket, ctx)
            for limit in (bounds.over, bounds.under):
                if limit is not None:
                    edge = (ctx.calendar.add_business_seconds(since, limit) if bounds.business
                            else since + timedelta(seconds=limit))
                    found += [edge + shift * US for shift in range(-2, 3)]
    return found


@settings(max_examples=150, deadline=None)
@given(case=cases(), ticket=tickets(), now_offset=st.integers(-86400, 2 * 86400),
       probes=st.lists(st.integers(1, 20 * 86400 * 10**6), max_size=12))
def test_next_due_is_the_first_instant_a_waiting_rule_holds(
        case: Case, ticket: Ticket, now_offset: int, probes: list[int]) -> None:
    """Over random rules (every condition kind, nested), tickets and calendars (DST, odd hours
    and offsets, holidays): at the instant returned, a rule that did not hold now holds, and
    at no earlier instant after now; with none returned, none of them holds within 20 days.
    Probed every three hours, at random instants, around every time condition's limits and the
    microsecond before the answer."""
    now = START + timedelta(seconds=now_offset)
    ctx = Context(case.config, case.calendar, now, explain=False)
    time_rules = [r for r in case.config.rules.rules if r.enabled and r.on.kind == "schedule"]
    waiting = [r for r in time_rules if not evaluate_all(r.if_, ticket, ctx).holds]
    due = next_due(case.config.rules.rules, ticket, ctx)
    horizon = due if due is not None else now + timedelta(days=20)
    instants = [now + timedelta(microseconds=p) for p in probes]
    instants += [now + timedelta(hours=h) for h in range(1, 20 * 24, 3)]
    instants += [horizon - US, now + US]
    instants += [t for rule in waiting for t in _edges(rule.if_ or (), ticket, ctx)]
    assert not any(_holds(waiting, ticket, ctx, t) for t in instants if now < t < horizon)
    if due is not None:
        assert due > now
        assert _holds(waiting, ticket, ctx, due)


def _within(spans: Spans, at: datetime) -> bool:
    point = micros(at)
    return any(start <= point < end for start, end in spans)


@settings(max_examples=120, deadline=None)
@given(case=cases(), ticket=tickets(), condition=conditions,
       probes=st.lists(st.integers(-3 * 86400 * 10**6, 10 * 86400 * 10**6), max_size=12))
def test_the_spans_of_a_condition_are_when_the_engine_says_it_holds(
        case: Case, ticket: Ticket, condition: dict[str, Any], probes: list[int]) -> None:
    """For any condition tree, an instant is inside its spans exactly when the engine's
    verdict at that instant is "holds": around every limit (the microseconds either side),
    every four hours over twelve days, and at random instants."""
    parsed = _rule([condition]).if_
    assert parsed is not None
    ctx = Context(case.config, case.calendar, START, explain=False)
    spans = spans_of(parsed[0], ticket, ctx)
    instants = [START + timedelta(microseconds=p) for p in probes]
    instants += [START + timedelta(hours=h) for h in range(-48, 10 * 24, 4)]
    instants += _edges(parsed, ticket, ctx)
    for at in instants:
        assert _within(spans, at) == evaluate(parsed[0], ticket, replace(ctx, now=at)).holds, at
