"""Configuration failures are not skips: the effect is kept (blocked), tried every cycle, and
performed once the configuration is fixed; the notices after a blocked escalation wait for it;
a ticket-changing action that waited while its ticket moved on is dropped, saying why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.unit.sync.conftest import ALICE, BOB, CAROL, LedgerRig
from tests.unit.sync.test_decisions import stale_ticket


def test_an_escalation_to_people_the_tracker_lacks_waits_and_so_do_its_notices(
        make_rig: Callable[..., LedgerRig]) -> None:
    """Tier 2's people are not tracker users: the escalation is blocked before it writes
    anything, its notices wait for it (the customer is not told "escalated" when nothing
    was), and the cycle summary counts them apart. Once the tracker has them, the next cycle
    escalates and sends both notices, once."""
    rig = make_rig(users=[ALICE])
    key = stale_ticket(rig)
    report = rig.cycle()
    rows = rig.effects(key)
    escalate = rows["escalate stale tier 1 0:escalate"]
    assert escalate.status == "blocked"
    assert escalate.detail.startswith("no tracker user matches 'bob@example.edu'")
    for index in (1, 2):
        notice = rows[f"escalate stale tier 1 {index}:notify"]
        assert notice.status == "blocked"
        assert notice.detail.startswith("waits for escalate (action 0) of rule 'escalate stale "
                                        "tier 1', blocked: no tracker user matches")
    assert report.counts() == {"blocked": 3}
    assert report.summary() == "3 blocked (waiting for a configuration fix)"
    ticket = rig.tracker.ticket(key)
    assert (ticket.status, ticket.tier) == ("Reviewing", None)
    assert rig.mails(key, "escalated") == []

    rig.tracker.people += [BOB, CAROL]  # an admin adds them to the tracker
    rig.advance(timedelta(minutes=5))
    report = rig.cycle()
    assert report.counts() == {"done": 3}
    ticket = rig.tracker.ticket(key)
    assert (ticket.status, ticket.tier) == ("Assigned", 2)
    assert len(rig.mails(key, "escalated")) == len(rig.mails(key, "assigned_to_you")) == 1
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    assert len(rig.mails(key, "escalated")) == 1


def test_a_template_that_fails_to_render_waits_for_its_fix(
        make_rig: Callable[..., LedgerRig]) -> None:
    """An unknown Jinja filter in the acknowledgement, edited in while the service runs (a
    configuration loaded afterwards is refused whole by its template check): the message
    waits (blocked, saying why) instead of being skipped for ever; the other action of the
    rule runs; fixing the template sends it at the next cycle, once."""
    rig = make_rig()
    template = rig.folder / "rules" / "templates" / "request_submitted.txt.j2"
    good = template.read_text()
    running = rig.service()  # `run` loaded its configuration before the edit
    template.write_text(good.replace("{{ ticket.summary }}", "{{ ticket.summary | nosuchfilter }}"))
    try:
        key = rig.new_ticket("Locked out of my account")
        rig.advance(timedelta(minutes=5))
        running.cycle.run()
        rows = rig.effects(key)
        assert rows["acknowledge 0:notify"].status == "blocked"
        assert "No filter named 'nosuchfilter'" in rows["acknowledge 0:notify"].detail
        assert "fix the template" in rows["acknowledge 0:notify"].detail
        assert rows["acknowledge 1:categorize"].status == "done"
        rig.advance(timedelta(minutes=5))
        running.cycle.run()
        assert rig.effects(key)["acknowledge 0:notify"].status == "blocked"
    finally:
        running.close()
    template.write_text(good)
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    rig.cycle()
    assert rig.effects(key)["acknowledge 0:notify"].status == "done"
    assert len(rig.mails(key, "request_submitted")) == 1


def test_a_transition_the_workflow_lacks_waits_and_is_dropped_once_the_ticket_moves(
        make_rig: Callable[..., LedgerRig]) -> None:
    """A rule moves new tickets to Complete, which the workflow cannot do from Pending: the
    transition is blocked (not failed for good). An engineer then starts the review; the
    waiting transition no longer applies and is superseded with the reason, never performed."""
    rig = make_rig()
    with (rig.folder / "rules.yaml").open("a") as rules:
        rules.write("  - name: close at once\n    on: created\n    then:\n"
                    "      - transition: {to: Complete}\n")
    key = rig.new_ticket("Spam")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    row = rig.effects(key)["close at once 0:transition"]
    assert row.status == "blocked"
    assert 'no transition leads to "Complete"' in row.detail
    rig.move(key, "Reviewing")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    row = rig.effects(key)["close at once 0:transition"]
    assert row.status == "superseded"
    assert "moved from Pending to Reviewing" in row.detail
    assert rig.tracker.ticket(key).status == "Reviewing"


def test_skips_stay_skips(make_rig: Callable[..., LedgerRig]) -> None:
    """What the configuration cannot fix stays a skip, not a wait: a customer with no address
    gets no acknowledgement, recorded as skipped with the reason."""
    rig = make_rig()
    key = rig.new_ticket("No address", customer="")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    row = rig.effects(key)["acknowledge 0:notify"]
    assert (row.status, row.detail) == ("skipped", "request_submitted: no recipient address")
