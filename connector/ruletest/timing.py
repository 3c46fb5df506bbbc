"""When time rules come due: the moments an `advance` runs a cycle.

As a service polling every minute would have run one then, and no idle cycle in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.conditions import Context, evaluate_all

POLL = timedelta(minutes=1)


def next_due(tickets: Iterable[Ticket], rules: Iterable[Rule], ctx: Context) -> datetime | None:
    """The earliest instant after `ctx.now` at which a condition of an enabled `schedule` rule
    starts to hold for an open ticket. An instant that proves idle costs one cycle; a missed
    one would move an escalation, so every time condition's due counts."""
    timed = [rule for rule in rules if rule.enabled and rule.on.kind == "schedule"]
    soonest: datetime | None = None
    for ticket in tickets:
        for rule in timed:
            due = evaluate_all(rule.if_, ticket, ctx).due
            if due is not None and due > ctx.now and (soonest is None or due < soonest):
                soonest = due
    return soonest


def cycle_after(due: datetime) -> datetime:
    """The first whole minute after `due`: a limit is passed only once more time than it has
    gone by, and the service's poll comes once a minute."""
    floor = due.replace(second=0, microsecond=0)
    return floor + POLL
