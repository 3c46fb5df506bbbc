"""Which open tickets a time rule could fire for at all: the status, tier and category
conditions at the top of each rule's `if:`, as a filter the mirror's query applies.

A time rule's `if:` is a list that must all hold. Its `status`, `tier` and `category`
conditions there change only when the ticket changes, so a ticket that fails them for every
time rule can neither fire one now nor come due until it changes (then the due index
evaluates it again). Leaving such tickets in the database instead of building, planning and
measuring each one is what keeps a pass over every rule and every open ticket (the full plan,
and the due index's rebuild after rules.yaml changes) cheap where most of a backlog waits in
statuses no time rule watches. Conditions inside `any` or `not` are left to the engine: the
filter only ever admits more tickets than can fire, never fewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from connector.config import conditions as c
from connector.config.models import Rule
from connector.domain import Clause

T = TypeVar("T")


def time_rule_candidates(rules: Sequence[Rule]) -> tuple[Clause, ...] | None:
    """One clause per time rule that can act, a ticket a candidate when any admits it; None
    when some rule constrains none of the three (then every open ticket is one)."""
    clauses = []
    for rule in rules:
        if not (rule.enabled and rule.then and rule.on.kind == "schedule"):
            continue  # it plans nothing and is never due
        clause = _clause(rule.if_ or ())
        if clause == Clause():
            return None
        clauses.append(clause)
    return tuple(clauses)


def _clause(conditions: Sequence[object]) -> Clause:
    statuses = tiers = categories = None
    for condition in _flattened(conditions):
        if isinstance(condition, c.StatusCondition):
            statuses = _narrowed(statuses, condition.status)
        elif isinstance(condition, c.TierCondition):
            tiers = _narrowed(tiers, condition.tier)
        elif isinstance(condition, c.CategoryCondition):
            categories = _narrowed(categories, condition.category)
    return Clause(statuses, tiers, categories)


def _flattened(conditions: Sequence[object]) -> list[object]:
    """The conditions that must all hold: the list, and any `all` inside it."""
    found: list[object] = []
    for condition in conditions:
        if isinstance(condition, c.AllOf):
            found += _flattened(condition.all)
        else:
            found.append(condition)
    return found


def _narrowed(known: frozenset[T] | None, wanted: Sequence[T]) -> frozenset[T]:
    """Two conditions on the same thing must both hold: the values both allow."""
    allowed = frozenset(wanted)
    return allowed if known is None else known & allowed
