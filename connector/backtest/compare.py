"""Two versions of the rules over the same history: actions per rule, and the tickets where
they differ, each difference with why the other version did not do the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.backtest.replay import Fired, History, Window, replay, why_not
from connector.config.models import Rule
from connector.engine.conditions import Context


@dataclass(frozen=True)
class Version:
    """A named set of rules and the context its conditions are evaluated in."""

    name: str
    rules: Sequence[Rule]
    ctx: Context


@dataclass
class Difference:
    """One ticket on which the versions differ: what only each did, with the reasons."""

    key: str
    summary: str
    only: dict[str, list[Fired]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    """Every version's firings by ticket, the action counts by rule, and the differences."""

    versions: list[str]
    fired: dict[str, dict[str, list[Fired]]]  # version -> ticket key -> firings
    counts: dict[str, dict[str, int]]         # rule -> version -> actions
    differences: list[Difference]


def compare(histories: Sequence[History], versions: Sequence[Version],
            window: Window) -> Comparison:
    fired = {v.name: {h.ticket.key: replay(v.rules, h, window, v.ctx) for h in histories}
             for v in versions}
    counts: dict[str, dict[str, int]] = {}
    for version in versions:
        for rule in version.rules:
            counts.setdefault(rule.name, {v.name: 0 for v in versions})
        tally = Counter(f.rule for items in fired[version.name].values() for f in items
                        for _ in f.actions)
        for name, number in tally.items():
            counts.setdefault(name, {v.name: 0 for v in versions})[version.name] = number
    differences = [d for h in histories if (d := _difference(h, versions, fired)) is not None]
    return Comparison([v.name for v in versions], fired, counts, differences)


def _difference(history: History, versions: Sequence[Version],
                fired: dict[str, dict[str, list[Fired]]]) -> Difference | None:
    if len(versions) < 2:
        return None
    key = history.ticket.key
    by_version = {v.name: fired[v.name][key] for v in versions}
    found = Difference(key, history.ticket.summary)
    for version in versions:
        others = [v for v in versions if v is not version]
        theirs = {f.identity for o in others for f in by_version[o.name]}
        only = [f for f in by_version[version.name] if f.identity not in theirs]
        if not only:
            continue
        found.only[version.name] = only
        for item in only:
            found.lines.append(f"  {version.name} only: {item.rule} at "
                               f"{version.ctx.local(item.at)} ({item.what}): "
                               f"{', '.join(item.actions)}")
            for other in others:
                rule = next((r for r in other.rules if r.name == item.rule), None)
                found.lines += [f"    {other.name}: {line}"
                                for line in why_not(rule, item.rule, history, item, other.ctx)]
    return found if found.only else None


def to_json(comparison: Comparison, window: Window, cost: dict[str, Any]) -> dict[str, Any]:
    """The whole comparison as plain values (`--format json`)."""
    def firing(item: Fired) -> dict[str, Any]:
        return {"rule": item.rule, "at": item.at.isoformat(), "trigger": item.trigger,
                "event": item.what, "actions": list(item.actions)}

    return {
        "window": {"since": window.start.isoformat(), "until": window.end.isoformat()},
        "versions": comparison.versions,
        "cost": cost,
        "actions_by_rule": comparison.counts,
        "tickets": {version: {key: [firing(f) for f in items] for key, items in by_key.items()
                              if items}
                    for version, by_key in comparison.fired.items()},
        "differences": [{"key": d.key, "summary": d.summary,
                         "only": {v: [firing(f) for f in items] for v, items in d.only.items()},
                         "explain": [line.strip() for line in d.lines]}
                        for d in comparison.differences],
    }
