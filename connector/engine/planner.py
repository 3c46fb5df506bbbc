"""The planner: (rules, ticket, events, now) -> the actions to take, each with a once-only key."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from connector.config.actions import Action, Survey
from connector.config.events import (
    Assigned,
    Commented,
    Created,
    FieldChanged,
    Schedule,
    StatusChanged,
)
from connector.config.rules import Rule
from connector.domain import Ticket
from connector.engine.conditions import Context, Verdict, evaluate_all
from connector.engine.events import Event


@dataclass(frozen=True)
class PlannedAction:
    """One action a rule wants taken, with the ledger key that makes it happen once."""

    effect_key: str
    issue_id: str
    issue_key: str
    rule: str
    index: int
    action: Action
    event: Event
    # The ticket's status when the rule fired: a blocked action that changes the ticket is
    # dropped if the ticket has moved on by the time the configuration is fixed.
    ticket_status: str | None = None
    status_since: datetime | None = None

    @property
    def name(self) -> str:
        return self.action.kind


def effect_key(issue_key: str, rule: str, trigger: str, index: int, action: Action) -> str:
    """The ledger key. A survey is keyed per ticket alone: one per resolution, never again
    after a reopen and second completion."""
    if isinstance(action, Survey):
        return f"{issue_key}|survey"
    return f"{issue_key}|{rule}|{trigger}|{index}:{action.kind}"


# One matcher per `on:` type, behind an explicit registry (a test holds it complete).
MATCHERS: dict[type, Callable[[Any, Event], bool]] = {
    Created: lambda on, event: event.kind == "created",
    Schedule: lambda on, event: event.kind == "schedule",
    Assigned: lambda on, event: event.kind == "assigned",
    StatusChanged: lambda on, event: (
        event.kind == "status_changed"
        and (on.status_changed.from_ is None or event.from_status in on.status_changed.from_)
        and (on.status_changed.to is None or event.to_status in on.status_changed.to)),
    Commented: lambda on, event: (event.kind == "commented"
                                  and on.commented.by in ("anyone", event.by)),
    FieldChanged: lambda on, event: (event.kind == "field_changed"
                                     and event.field == on.field_changed.field),
}


def triggered_by(rule: Rule, event: Event) -> bool:
    """Whether the rule's `on:` names this event (whoever made it)."""
    return MATCHERS[type(rule.on)](rule.on, event)


def on_text(rule: Rule) -> str:
    """The rule's `on:` in words: `on status_changed to Complete`, `on commented by customer`."""
    on = rule.on
    words = f"on {on.kind}"
    if isinstance(on, StatusChanged):
        change = on.status_changed
        words += "".join(f" {word} {', '.join(names)}" for word, names in (
            ("from", change.from_), ("to", change.to)) if names)
    elif isinstance(on, Commented):
        words += f" by {on.commented.by}"
    elif isinstance(on, FieldChanged):
        words += f" {on.field_changed.field}"
    return words


def _own_excluded(rule: Rule, event: Event) -> bool:
    """A change ticketflow made itself, for a rule that does not opt in to those."""
    return event.own and not rule.include_own_changes and event.kind != "schedule"


def fires_on(rule: Rule, event: Event) -> bool:
    """Whether the enabled rule's `on:` takes this event: event_matches without the words,
    for the planner, which asks once per rule per open ticket."""
    return rule.enabled and not _own_excluded(rule, event) and triggered_by(rule, event)


def event_matches(rule: Rule, event: Event) -> tuple[bool, str]:
    """Whether the rule's `on:` is this event, with the reason in words."""
    on = rule.on
    if _own_excluded(rule, event):
        return False, f"{event.describe()} was made by ticketflow (include_own_changes is off)"
    matched = triggered_by(rule, event)
    return matched, (f"on {on.kind} matches {event.describe()}" if matched
                     else f"on {on.kind} does not match {event.describe()}")


def plan(rules: Sequence[Rule], ticket: Ticket, events: Iterable[Event],
         ctx: Context) -> list[PlannedAction]:
    """Every action the enabled rules take for these events on this ticket, in rule order."""
    if ctx.explain:
        ctx = replace(ctx, explain=False)  # yes or no is enough here
    planned: list[PlannedAction] = []
    for event in events:
        for rule in rules:
            if not fires_on(rule, event):
                continue
            if not evaluate_all(rule.if_, ticket, ctx).holds:
                continue
            planned += [
                PlannedAction(effect_key(ticket.key, rule.name, event.trigger, index, action),
                              ticket.issue_id, ticket.key, rule.name, index, action, event,
                              ticket.status, ticket.status_since)
                for index, action in enumerate(rule.then)]
    return planned


@dataclass(frozen=True)
class RuleExplanation:
    """Why one rule would or would not fire for a ticket now."""

    rule: Rule
    event_text: str
    fires: bool
    verdict: Verdict


def explain(rules: Sequence[Rule], ticket: Ticket, event: Event,
            ctx: Context) -> list[RuleExplanation]:
    """For every rule: does `event` trigger it, and how does each condition evaluate."""
    explanations = []
    for rule in rules:
        matched, event_text = event_matches(rule, event)
        verdict = evaluate_all(rule.if_, ticket, ctx)
        explanations.append(RuleExplanation(rule, event_text, rule.enabled and matched
                                            and verdict.holds, verdict))
    return explanations


def render_explanation(explanations: Sequence[RuleExplanation], ctx: Context) -> list[str]:
    """The lines `ticketflow explain` prints."""
    lines: list[str] = []
    for item in explanations:
        state = "fires now" if item.fires else "does not fire"
        if not item.rule.enabled:
            state = "disabled"
        lines.append(f'rule "{item.rule.name}" (on {item.rule.on.kind}): {state}')
        lines.append(f"  {'✓' if 'does not' not in item.event_text else '✗'} "
                     f"{item.event_text}")
        lines.extend(verdict_lines(item.verdict, depth=1))
        if not item.fires and item.verdict.due is not None and _only_time_missing(item):
            lines.append(f"  next due: {ctx.local(item.verdict.due)}")
    return lines


def verdict_lines(verdict: Verdict, depth: int) -> list[str]:
    """Each condition under `verdict`, ✓ or ✗ with its value, indented by depth."""
    lines = []
    for child in verdict.children:
        lines.append(f"{'  ' * depth}{'✓' if child.holds else '✗'} {child.text}")
        lines.extend(verdict_lines(child, depth + 1))
    return lines


def _only_time_missing(item: RuleExplanation) -> bool:
    """Only time stands between the rule and firing (so "next due" means something)."""
    return all(child.holds or child.due is not None for child in item.verdict.children)
