"""Replay one ticket's recorded history through a set of rules on a simulated clock: which
rule would have fired when, with which actions. No I/O: the history is given.

Event rules are evaluated at each recorded event on the ticket as it was then; time rules
on each stay (a status at one tier) from its start, the clock jumping to each instant a
condition comes due. What happened is what really happened: the rules' own effects are not
simulated (an escalation one version would have made earlier does not move the ticket).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.conditions import Context, evaluate_all
from connector.engine.events import Event, schedule_event
from connector.engine.planner import plan, verdict_lines
from connector.sync.explain import as_of
from connector.tracker.feed import Change

# A time condition is due at an instant; the poll that sees it comes a little later.
_AFTER_DUE = timedelta(minutes=1)
_MAX_STEPS = 50  # due instants per rule and stay: conditions rarely chain more than two


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def holds(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True)
class Fired:
    """A rule that would have fired: when, on what, and its actions (once-only keys kept)."""

    key: str
    rule: str
    at: datetime
    trigger: str
    what: str  # the event in words: `created`, `status Pending -> Reviewing`, `time`
    actions: tuple[str, ...]

    @property
    def identity(self) -> tuple[str, str, tuple[str, ...]]:
        """What two versions are compared by: the rule, the occurrence, the actions."""
        return self.rule, self.trigger, self.actions


@dataclass(frozen=True)
class History:
    """One ticket as it is now, its changes and its events (oldest first)."""

    ticket: Ticket
    changes: Sequence[Change]
    events: Sequence[Event]


def replay(rules: Sequence[Rule], history: History, window: Window,
           ctx: Context) -> list[Fired]:
    """Every rule firing in the window, event rules and time rules, each once-only key once."""
    fired = _event_rules(rules, history, window, ctx) + _time_rules(rules, history, window, ctx)
    seen: set[str] = set()
    kept: list[Fired] = []
    for item in sorted(fired, key=lambda f: f.at):
        fresh = []
        for index, kind in enumerate(item.actions):
            # The ledger's keys: a survey once per ticket, any other action once per trigger.
            key = "survey" if kind == "survey" else f"{item.rule}|{item.trigger}|{index}:{kind}"
            if key not in seen:
                seen.add(key)
                fresh.append(kind)
        if fresh:
            kept.append(replace(item, actions=tuple(fresh)))
    return kept


def _event_rules(rules: Sequence[Rule], history: History, window: Window,
                 ctx: Context) -> list[Fired]:
    found: list[Fired] = []
    for event in history.events:
        if not window.holds(event.at):
            continue
        then = as_of(history.ticket, history.changes, event.at)
        planned = plan(rules, then, [event], replace(ctx, now=event.at))
        for rule in dict.fromkeys(p.rule for p in planned):
            actions = tuple(p.name for p in planned if p.rule == rule)
            found.append(Fired(then.key, rule, event.at, event.trigger, event.describe(),
                               actions))
    return found


def stays(history: History, end: datetime) -> list[tuple[datetime, datetime]]:
    """The ticket's stays: from its creation, a new one at each change of status or tier
    (an escalation restarts the clock of the next tier), the last one open until `end`."""
    moves = [c.at for c in history.changes if any(i.kind in ("status", "tier") for i in c.items)]
    starts = sorted(dict.fromkeys(s for s in (history.ticket.created, *moves) if s < end))
    return list(zip(starts, [*starts[1:], end], strict=True))


def _time_rules(rules: Sequence[Rule], history: History, window: Window,
                ctx: Context) -> list[Fired]:
    timed = [r for r in rules if r.enabled and r.on.kind == "schedule"]
    found: list[Fired] = []
    for begin, finish in stays(history, window.end):
        if finish <= window.start:
            continue
        then = replace(as_of(history.ticket, history.changes, begin), status_since=begin)
        if then.status in ctx.config.rules.workflow.done_statuses:
            continue  # time rules look at open tickets only
        tick = schedule_event(then.issue_id, then.key, then.status, begin, begin)
        for rule in timed:
            at = _first_holding(rule, then, max(begin, window.start), finish, ctx)
            if at is not None:
                found.append(Fired(then.key, rule.name, at, tick.trigger,
                                   f"time: in {then.status} since {ctx.local(begin)}",
                                   tuple(a.kind for a in rule.then)))
    return found


def _first_holding(rule: Rule, ticket: Ticket, start: datetime, end: datetime,
                   ctx: Context) -> datetime | None:
    """The first instant in [start, end) at which the rule's conditions hold: from `start`,
    jumping to each instant a condition comes due."""
    at = start
    for _ in range(_MAX_STEPS):
        verdict = evaluate_all(rule.if_, ticket, replace(ctx, now=at, explain=True))
        if verdict.holds:
            return at
        if verdict.due is None or verdict.due + _AFTER_DUE >= end or verdict.due < at:
            return None
        at = verdict.due + _AFTER_DUE
    return None


def why_not(rule: Rule | None, name: str, history: History, item: Fired,
            ctx: Context) -> list[str]:
    """Why a rule of the other version did not fire where this one did: it is missing, its
    event does not trigger it, or these conditions fail then."""
    if rule is None:
        return [f'no rule "{name}" in this version']
    if not rule.enabled:
        return [f'rule "{name}" is disabled']
    then = as_of(history.ticket, history.changes, item.at)
    if rule.on.kind == "schedule":
        then = replace(then, status_since=_stay_start(history, item.at))
    verdict = evaluate_all(rule.if_, then, replace(ctx, now=item.at, explain=True))
    if verdict.holds and rule.on.kind == "schedule":
        return [f'rule "{name}" fired earlier in this stay, or its conditions hold only now']
    if verdict.holds:
        return [f'rule "{name}" (on {rule.on.kind}) is not triggered by {item.what}']
    return [f'rule "{name}" did not fire then:', *verdict_lines(verdict, depth=1)]


def _stay_start(history: History, at: datetime) -> datetime:
    begins = [b for b, _ in stays(history, at + timedelta(microseconds=1)) if b <= at]
    return begins[-1] if begins else history.ticket.created
