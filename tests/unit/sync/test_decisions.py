"""What an escalation decided lives on its ledger row: a notice performed by the next process
after a crash renders exactly what the clean run rendered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from connector.sync.perform import Performed
from tests.unit.sync.conftest import LedgerRig


class Killed(BaseException):
    """The process died here (BaseException: nothing in ticketflow may catch it)."""


def _die_after_escalate(item: Performed) -> None:
    if item.effect.action.endswith(":escalate"):
        raise Killed(item.effect.effect_key)


def stale_ticket(rig: LedgerRig) -> str:
    """A Data export ticket in Reviewing since Monday 09:00, now past tier 1's limit."""
    key = rig.new_ticket("Report export fails")
    rig.move(key, "Reviewing")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    rig.advance(timedelta(hours=5))
    return key


def test_notices_after_a_crash_render_what_the_clean_run_rendered(
        make_rig: Callable[..., LedgerRig]) -> None:
    """Clean: escalate, then its two notices in one process. Crashed: the process dies right
    after the escalation is recorded as done; a new process (a new `build`, the same state
    file) performs the notices. Both notices read the escalation from the escalate's ledger
    row, so the two runs' bodies are identical and carry the escalation's details."""
    clean = make_rig(name="clean")
    key = stale_ticket(clean)
    clean.cycle()
    crashed = make_rig(name="crashed")
    assert stale_ticket(crashed) == key
    with pytest.raises(Killed):
        crashed.cycle(report=_die_after_escalate)
    assert crashed.effects(key)["escalate stale tier 1 1:notify"].status == "pending"
    crashed.cycle()  # the next process, at the same moment
    for template in ("assigned_to_you", "escalated"):
        (expected,) = clean.mails(key, template)
        (got,) = crashed.mails(key, template)
        assert LedgerRig.body(got) == LedgerRig.body(expected), template
    (assigned,) = crashed.mails(key, "assigned_to_you")
    assert "escalated from tier 1 after 5h5m in Reviewing" in LedgerRig.body(assigned)
    (update,) = crashed.mails(key, "escalated")
    assert "escalated to our Platform Engineer team" in LedgerRig.body(update)


def test_the_decision_is_on_the_row_and_other_notices_see_no_escalation(
        make_rig: Callable[..., LedgerRig]) -> None:
    """The escalate row keeps from/to tier, tier name, the status waited in, how long, and
    the person picked; a later notice of another rule (work started) is not about the
    escalation, even in the same process."""
    rig = make_rig()
    key = stale_ticket(rig)
    rig.cycle()
    made = rig.effects(key)["escalate stale tier 1 0:escalate"].decision
    assert (made.from_tier, made.to_tier, made.tier_name, made.waited_status, made.waited) \
        == (1, 2, "Platform Engineer", "Reviewing", "5h5m")
    assert made.assignee in ("bob@example.edu", "carol@example.edu")
    notes = [c.body for c in rig.tracker.comments(key)]
    assert any(n.startswith("Escalated by ticketflow from tier 1 to tier 2 (Platform "
                            "Engineer) after 5h5m of business time in Reviewing") for n in notes)
    rig.move(key, "In Progress")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    (started,) = rig.mails(key, "work_started")
    assert "escalat" not in LedgerRig.body(started)
