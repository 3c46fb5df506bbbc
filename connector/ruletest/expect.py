"""Expectations checked against what a step did; each miss as expected and actual, in words.

A miss names the rules that could explain it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from connector.config import ruletests as m
from connector.config.models import Rule
from connector.config.source import KeyPath
from connector.ruletest.harness import TicketState
from connector.state.base import Effect, OutboxMessage
from connector.state.intake import MailRecord

# The actions that can change each field of a ticket: their rules explain a wrong value.
_SETTERS = {"status": ("transition", "escalate"), "tier": ("escalate",),
            "category": ("categorize",), "assignee": ("assign", "escalate")}


@dataclass(frozen=True)
class Observed:
    """What one step did to one ticket, and how the ticket stands after it."""

    name: str
    effects: Sequence[Effect]
    messages: Sequence[OutboxMessage]
    state: TicketState
    mail: MailRecord | None
    began: datetime
    zone: ZoneInfo
    address: Callable[[str], str]  # a test's person word or name -> an address

    def local(self, instant: datetime) -> str:
        return instant.astimezone(self.zone).strftime("%a %-d %b %H:%M %Z")


@dataclass(frozen=True)
class Miss:
    """One expectation that did not hold: where it is written, and the two sides."""

    path: KeyPath
    expected: str
    actual: tuple[str, ...]
    rules: tuple[str, ...] = ()          # the rules whose explanation may say why
    fired: tuple[Effect, ...] = ()      # what those rules did in this step


def check(expectation: m.Expectation, path: KeyPath, seen: Observed,
          rules: Sequence[Rule]) -> list[Miss]:
    """Every part of an `expect` (or, by the path's last key, `expect_not`) that fails."""
    negated = path[-1] == "expect_not"
    misses: list[Miss] = []
    for index, action in enumerate(expectation.actions):
        found = [e for e in seen.effects if _is_action(e, action)]
        if _fails(len(found), action.count, negated=negated):
            shown = _shown([_effect(e) for e in found], [_effect(e) for e in seen.effects],
                           count=action.count, negated=negated, what="action")
            misses.append(Miss((*path, "actions", index),
                               _want(_action(action), action.count, negated), shown,
                               (action.rule,), _by_rules(seen.effects, [action.rule])))
    for index, message in enumerate(expectation.messages):
        queued = [x for x in seen.messages if _is_message(x, message, seen)]
        if _fails(len(queued), message.count, negated=negated):
            shown = _shown([_sent(x, seen) for x in queued],
                           [_sent(x, seen) for x in seen.messages], count=message.count,
                           negated=negated, what="message")
            senders = _sending(rules, message.template)
            misses.append(Miss((*path, "messages", index),
                               _want(_message(message), message.count, negated), shown,
                               senders, _by_rules(seen.effects, senders)))
    misses += _fields(expectation, path, seen, rules, negated=negated)
    return misses


def _fails(found: int, count: int | None, *, negated: bool) -> bool:
    if negated:
        return found > 0
    return found != count if count is not None else found == 0


def _want(text: str, count: int | None, negated: bool) -> str:
    if negated:
        return f"no {text}"
    return f"{count} x {text}" if count is not None else text


def _shown(found: list[str], every: list[str], *, count: int | None, negated: bool,
           what: str) -> tuple[str, ...]:
    """The actual side: what matched (for a count or a forbidden one), else everything of
    its kind the step did, so a near miss shows."""
    if negated:
        return tuple(found)
    if count is not None:
        return (f"{len(found)} x", *found)
    return tuple(every) or (f"no {what} in this step",)


def _by_rules(effects: Sequence[Effect], names: Sequence[str]) -> tuple[Effect, ...]:
    return tuple(e for e in effects if e.rule in names)


def _is_action(effect: Effect, want: m.ActionExpect) -> bool:
    kind = effect.action.partition(":")[2]
    return (effect.rule == want.rule and want.kind in (None, kind)
            and want.status in (None, effect.status)
            and (want.outcome is None or want.outcome.lower() in effect.detail.lower()))


def _action(want: m.ActionExpect) -> str:
    text = f'{want.kind or "action"} by rule "{want.rule}"'
    if want.status:
        text += f", {want.status}"
    return text + (f' saying "{want.outcome}"' if want.outcome else "")


def _effect(effect: Effect) -> str:
    detail = f": {effect.detail}" if effect.detail else ""
    return f'{effect.action.partition(":")[2]} by rule "{effect.rule}", {effect.status}{detail}'


def _is_message(message: OutboxMessage, want: m.MessageExpect, seen: Observed) -> bool:
    if message.template != want.template:
        return False
    if want.to is not None and message.recipient.lower() != _recipient(want.to, seen).lower():
        return False
    if want.at is not None:
        due = message.next_attempt_at or message.created_at
        at = want.at.resolve(seen.zone, seen.began, inclusive=True)
        return due is not None and due.replace(second=0, microsecond=0) == at
    return True


def _recipient(word: str, seen: Observed) -> str:
    if word == "customer":
        return seen.state.customer or "(no customer)"
    if word == "assignee":
        return seen.state.assignee or "(nobody assigned)"
    return seen.address(word)


def _message(want: m.MessageExpect) -> str:
    text = f"message {want.template}"
    if want.to is not None:
        text += f" to {want.to}"
    return text + (f" at {want.at}" if want.at is not None else "")


def _sent(message: OutboxMessage, seen: Observed) -> str:
    due = message.next_attempt_at or message.created_at
    when = f" at {seen.local(due)}" if due is not None else ""
    return f"message {message.template} to {message.recipient}{when}"


def _sending(rules: Sequence[Rule], template: str) -> tuple[str, ...]:
    """The rules with a notify or survey of this template."""
    names = []
    for rule in rules:
        for action in rule.then:
            spec = getattr(action, action.kind)
            if action.kind in ("notify", "survey") and spec.template == template:
                names.append(rule.name)
    return tuple(dict.fromkeys(names))


def _fields(expectation: m.Expectation, path: KeyPath, seen: Observed,
            rules: Sequence[Rule], *, negated: bool) -> list[Miss]:
    state = seen.state
    pairs: list[tuple[str, object, object]] = [
        ("status", expectation.status, state.status),
        ("tier", expectation.tier, state.tier),
        ("category", expectation.category, state.category or "none"),
        ("assignee", None if expectation.assignee is None else
         ("none" if expectation.assignee == "none" else seen.address(expectation.assignee)),
         state.assignee or "none"),
    ]
    misses = []
    for name, wanted, actual in pairs:
        if wanted is None:
            continue
        same = str(wanted).lower() == str(actual).lower()
        if same == negated:
            setters = _SETTERS[name]
            involved = tuple(r.name for r in rules if any(a.kind in setters for a in r.then))
            misses.append(Miss((*path, name), f"{name} {'not ' if negated else ''}{wanted}",
                               (f"{name} {actual}",), involved,
                               _by_rules(seen.effects, involved)))
    if expectation.mail is not None:
        record = seen.mail
        actual = "not read yet" if record is None or record.outcome is None else (
            record.outcome + (f" ({record.reason})" if record.reason else ""))
        outcome = record.outcome if record is not None else None
        if (outcome == expectation.mail) == negated:
            misses.append(Miss((*path, "mail"),
                               f"mail {'not ' if negated else ''}{expectation.mail}",
                               (f"mail {actual}",)))
    return misses
