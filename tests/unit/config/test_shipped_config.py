"""The shipped rules.yaml, mappings.yaml and rules/ realise the team's whole seed workflow."""

from __future__ import annotations

from pathlib import Path

from connector.config.actions import Escalate, Notify, Survey
from connector.config.conditions import TimeInStatus
from connector.config.loader import load_config

ROOT = Path(__file__).resolve().parents[3]
# product.md, "Messages the workflow promises": one template each.
SIX_MESSAGES = {
    "request_submitted",
    "assigned_to_you",
    "escalated",
    "work_started",
    "request_complete",
    "feedback_request",
}


def test_shipped_files_validate() -> None:
    """`ticketflow validate` on the shipped files has nothing to say but ok: not even the
    warning of the older flat mappings.yaml layout."""
    config = load_config(ROOT)
    assert {p.name for p in config.files} == {"rules.yaml", "mappings.yaml", "escalation.yaml"}
    assert config.warnings == ()


def test_the_five_statuses_and_their_transitions() -> None:
    """Statuses, categories and transitions are exactly those of product.md's workflow."""
    workflow = load_config(ROOT).rules.workflow
    assert [(s.name, s.category) for s in workflow.statuses] == [
        ("Pending", "To Do"),
        ("Reviewing", "In Progress"),
        ("Assigned", "To Do"),
        ("In Progress", "In Progress"),
        ("Complete", "Done"),
    ]
    assert workflow.initial == "Pending"
    assert {(t.from_, t.to) for t in workflow.transitions} == {
        ("Pending", "Reviewing"),
        ("Reviewing", "Complete"),
        ("Reviewing", "In Progress"),
        ("Reviewing", "Assigned"),
        ("Assigned", "In Progress"),
        ("Assigned", "Assigned"),
        ("In Progress", "Assigned"),
        ("In Progress", "Complete"),
        ("Complete", "Reviewing"),
    }


def test_escalation_ladder_has_per_tier_business_limits() -> None:
    """Tier 1 -> 2 -> 3, with business-hour limits per tier and a category override."""
    config = load_config(ROOT)
    tiers = {t.tier: t for t in config.rules.tiers}
    assert sorted(tiers) == [1, 2, 3]
    assert tiers[1].escalate_after is not None and tiers[1].escalate_after.business
    assert tiers[2].escalate_after is not None and tiers[2].escalate_after.business
    assert "Access" in tiers[1].by_category
    assert set(config.rules.timeframes) == {"tier1", "tier2", "tier3"}
    ladder = [r for r in config.rules.rules if any(isinstance(a, Escalate) for a in r.then)]
    assert len(ladder) == 2
    for rule in ladder:
        assert rule.on.kind == "schedule"
        assert any(
            isinstance(c, TimeInStatus) and c.time_in_status.over == "tier_limit"
            for c in rule.if_ or []
        )


def test_every_promised_message_has_a_template_and_a_rule() -> None:
    """All six messages exist in rules/templates/ and some rule sends each of them."""
    config = load_config(ROOT)
    assert set(config.templates) >= SIX_MESSAGES
    sent = {a.notify.template for r in config.rules.rules for a in r.then if isinstance(a, Notify)}
    sent |= {a.survey.template for r in config.rules.rules for a in r.then if isinstance(a, Survey)}
    assert sent >= SIX_MESSAGES


def test_mappings_map_every_status_and_role() -> None:
    """Each workflow status has a Jira name, and each tier's role has people."""
    config = load_config(ROOT)
    assert config.mappings.jira is not None
    assert set(config.mappings.jira.statuses) == {s.name for s in config.rules.workflow.statuses}
    for tier in config.rules.tiers:
        assert config.mappings.roles[tier.role].users
