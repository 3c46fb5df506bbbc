"""When a ticket's time rules next need evaluating: the first instant at which an `on:
schedule` rule that does not hold now could start to hold, the ticket and rules unchanged.

A time condition holds on one span of time: `{over: 4h}` from the instant more than 4 hours
have passed, `{under: 2d}` until 2 days have, both between the two. Every other condition
holds always or never until the ticket changes. So a rule's `if:` holds on a union of spans
(`all` intersects them, `any` unites them, `not` takes the complement), and the rule can next
start to hold where its next span begins. The spans' ends are computed as the engine compares
(whole microseconds against the limit's float seconds), so they are exact: at the instant
returned the rule holds, a microsecond before it did not.

A rule that holds now is not waited for: it fired now, and its actions are in the ledger under
a key only a change of the ticket (its status or the time it entered it) renews.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from connector.config import conditions as c
from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.calendar import MICROS_PER_SECOND, MICROSECOND
from connector.engine.conditions import TIME_CONDITIONS, Context, elapsed_bounds, evaluate

# Spans are half-open [start, end) in microseconds since the epoch; ±inf for no bound.
Spans = tuple[tuple[float, float], ...]
ALWAYS: Spans = ((-math.inf, math.inf),)
NEVER: Spans = ()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Conditions whose verdict depends on the ticket and the configuration alone. A test holds
# these, TIME_CONDITIONS and the combinators equal to every condition kind; an unknown kind is
# taken as due at the next cycle (too early costs time, too late would be a missed action).
TIMELESS = frozenset[type]((
    c.StatusCondition, c.TierCondition, c.CategoryCondition, c.TextMatches, c.AssigneeCondition,
    c.ReporterDomain, c.LabelsCondition))
COMBINATORS = frozenset[type]((c.AllOf, c.AnyOf, c.NotCondition))


class _UnknownKindError(Exception):
    """A condition kind this module does not know how time changes."""


def next_due(rules: Sequence[Rule], ticket: Ticket, ctx: Context) -> datetime | None:
    """The first instant after `ctx.now` at which one of the enabled `on: schedule` rules that
    does not hold now starts to hold for this ticket as it is; None when none ever will until
    the ticket (or the configuration) changes."""
    if ctx.explain:
        ctx = replace(ctx, explain=False)  # yes or no is enough here
    now = micros(ctx.now)
    due = math.inf
    try:
        for rule in rules:
            if rule.enabled and rule.then and rule.on.kind == "schedule":
                due = min(due, _next_start(_all(rule.if_ or (), ticket, ctx), now))
    except _UnknownKindError:
        return ctx.now + MICROSECOND
    return None if due == math.inf else instant(int(due))


def held_since(rule: Rule, ticket: Ticket, ctx: Context) -> datetime | None:
    """When the rule's `if:` began to hold for this ticket as it is, holding ever since up to
    `ctx.now`: the instant an `on: schedule` rule fell due, whenever a cycle finds it. None
    when it does not hold at `ctx.now`, holds for all time (no time condition sets a start),
    or a condition kind is unknown here."""
    if ctx.explain:
        ctx = replace(ctx, explain=False)
    now = micros(ctx.now)
    try:
        spans = _all(rule.if_ or (), ticket, ctx)
    except _UnknownKindError:
        return None
    start = next((start for start, end in spans if start <= now < end), None)
    return None if start is None or start == -math.inf else instant(int(start))


def _next_start(spans: Spans, now: int) -> float:
    """Where the first span after `now` starts; inf when one holds now or none is ahead."""
    for start, end in spans:
        if end > now:
            return start if start > now else math.inf
    return math.inf


def micros(moment: datetime) -> int:
    """An instant as whole microseconds since the epoch."""
    return (moment - _EPOCH) // MICROSECOND


def instant(count: int) -> datetime:
    """Whole microseconds since the epoch as an aware UTC instant."""
    return _EPOCH + count * MICROSECOND


def spans_of(condition: object, ticket: Ticket, ctx: Context) -> Spans:
    """When one condition holds for this ticket, as the engine evaluates it (`ctx.now` only
    decides nothing here: the spans cover all time)."""
    kind = type(condition)
    if isinstance(condition, c.AllOf):
        return _all(condition.all, ticket, ctx)
    if isinstance(condition, c.AnyOf):
        result = NEVER
        for item in condition.any:
            result = _union(result, spans_of(item, ticket, ctx))
            if result == ALWAYS:
                break
        return result
    if isinstance(condition, c.NotCondition):
        return _complement(_all(condition.not_, ticket, ctx))
    if kind in TIME_CONDITIONS:
        return _elapsed_spans(condition, ticket, ctx)
    if kind in TIMELESS:
        return ALWAYS if evaluate(condition, ticket, ctx).holds else NEVER
    raise _UnknownKindError(kind.__name__)


def _all(conditions: Sequence[object], ticket: Ticket, ctx: Context) -> Spans:
    result = ALWAYS
    for condition in conditions:  # cheap conditions come first: most tickets stop at one
        result = _intersect(result, spans_of(condition, ticket, ctx))
        if not result:
            break
    return result


def _elapsed_spans(condition: object, ticket: Ticket, ctx: Context) -> Spans:
    """A time condition holds from when more than `over` has passed until `under` has."""
    _, since, spec = TIME_CONDITIONS[type(condition)](condition, ticket)
    bounds = elapsed_bounds(spec, ticket, ctx)
    if bounds.missing:
        return NEVER
    start = -math.inf if bounds.over is None else _passed(
        since, first_above(bounds.over), business=bounds.business, ctx=ctx)
    end = math.inf if bounds.under is None else _passed(
        since, first_at_least(bounds.under), business=bounds.business, ctx=ctx)
    return ((start, end),) if start < end else NEVER


def first_above(limit: float) -> int:
    """The fewest whole microseconds the engine counts as more than `limit` seconds (it
    compares `micros / 10**6 > limit`, the division rounded as floats round)."""
    count = math.floor(limit * MICROS_PER_SECOND)
    while count / MICROS_PER_SECOND > limit:
        count -= 1
    while not count / MICROS_PER_SECOND > limit:
        count += 1
    return count


def first_at_least(limit: float) -> int:
    """The fewest whole microseconds the engine no longer counts as under `limit` seconds."""
    count = math.ceil(limit * MICROS_PER_SECOND)
    while count / MICROS_PER_SECOND >= limit:
        count -= 1
    while count / MICROS_PER_SECOND < limit:
        count += 1
    return count


def _passed(since: datetime, amount: int, *, business: bool, ctx: Context) -> float:
    """The first instant (in microseconds) by which `amount` microseconds of time (or of
    business time) have passed since `since`; -inf when none need pass."""
    if amount <= 0:
        return -math.inf
    try:
        if business:
            return micros(ctx.calendar.reach(since, amount))
        return micros(since + amount * MICROSECOND)
    except OverflowError:  # beyond the year 9999: never
        return math.inf


def _intersect(left: Spans, right: Spans) -> Spans:
    if left == ALWAYS or not right:
        return right
    if right == ALWAYS or not left:
        return left
    found: list[tuple[float, float]] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start, end = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if start < end:
            found.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(found)


def _union(left: Spans, right: Spans) -> Spans:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(left + right):
        if merged and start <= merged[-1][1]:  # overlapping or touching: [a, b) + [b, c)
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _complement(spans: Spans) -> Spans:
    found: list[tuple[float, float]] = []
    edge = -math.inf
    for start, end in spans:
        if edge < start:
            found.append((edge, start))
        edge = end
    if edge < math.inf:
        found.append((edge, math.inf))
    return tuple(found)
