"""Which tickets a pass over the time rules reads: those a time rule's top-level status, tier
and category conditions admit; never fewer than could fire."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connector.config.loader import load_config
from connector.config.models import Rule
from connector.domain import Clause, Ticket
from connector.engine.candidates import time_rule_candidates

ROOT = Path(__file__).resolve().parents[3]


def _rule(conditions: list[object], *, on: str = "schedule", enabled: bool = True) -> Rule:
    return Rule.model_validate({
        "name": "r", "on": on, "enabled": enabled, "if": conditions,
        "then": [{"notify": {"to": "customer", "template": "escalated"}}]})


def test_the_shipped_time_rules_admit_their_statuses_and_tiers() -> None:
    """The shipped escalation rules read tier 1 in Reviewing or Assigned, and tier 2 in
    Assigned or In Progress: the other open tickets are never built."""
    config = load_config(ROOT)
    schedule = [r for r in config.rules.rules if r.on.kind == "schedule"]
    assert set(time_rule_candidates(schedule) or ()) == {
        Clause(frozenset({"Reviewing", "Assigned"}), frozenset({1})),
        Clause(frozenset({"Assigned", "In Progress"}), frozenset({2}))}


def test_conditions_inside_all_narrow_and_repeats_intersect() -> None:
    """`all` nested in `if:` must hold too, and two status conditions leave what both
    allow; a rule whose statuses exclude each other admits nothing."""
    (clause,) = time_rule_candidates([_rule([
        {"status": ["Reviewing", "Assigned"]},
        {"all": [{"category": "Access"}, {"status": ["Assigned", "Pending"]}]},
    ])]) or ()
    assert clause == Clause(frozenset({"Assigned"}), None, frozenset({"Access"}))
    assert time_rule_candidates([_rule([{"status": "A"}, {"status": "B"}])]) == (
        Clause(frozenset()),)


def test_a_rule_that_constrains_none_of_the_three_admits_every_ticket() -> None:
    """Conditions inside `any` or `not`, and time or text conditions alone, say nothing the
    query can use: every open ticket must be read."""
    assert time_rule_candidates([
        _rule([{"status": "Reviewing"}]),
        _rule([{"any": [{"status": "Reviewing"}, {"tier": 2}]}]),
    ]) is None
    assert time_rule_candidates([_rule([{"not": [{"status": "Closed"}]}])]) is None


def test_rules_that_cannot_act_add_no_clause() -> None:
    """A disabled rule, or one on another event, plans nothing in a time pass."""
    assert time_rule_candidates([_rule([], enabled=False), _rule([], on="created"),
                                 _rule([{"tier": 3}])]) == (Clause(tiers=frozenset({3})),)
    assert time_rule_candidates([]) == ()


def test_an_unset_tier_is_admitted_as_tier_1() -> None:
    """The engine reads an unset tier as 1; so does the clause."""
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    ticket = Ticket(issue_id="1", key="HELP-1", project="HELP", status="Reviewing",
                    status_since=moment, created=moment, updated=moment, summary="s")
    assert Clause(tiers=frozenset({1})).admits(ticket)
    assert not Clause(tiers=frozenset({2})).admits(ticket)
