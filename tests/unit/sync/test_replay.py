"""Replaying the ledger: a recorded action is performed only while rules.yaml still defines it
as recorded; otherwise it is superseded, with a reason `explain` and `outbox list` show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from connector.cli import main
from connector.engine.conditions import Context
from tests.unit.sync.conftest import LedgerRig


def _record_then_die(rig: LedgerRig) -> None:
    """Poll (recording the new ticket's actions) and stop before performing them, as a
    process killed between the poll and perform would."""
    service = rig.service()
    try:
        ctx = Context(service.config, service.runtime.calendar, rig.clock.now())
        recorded = service.cycle.poller.poll(ctx, rig.clock.now())
    finally:
        service.close()
    assert [e.action for e in recorded] == ["0:notify", "1:categorize"]


@pytest.mark.parametrize(("old", "new", "reason"), [
    ("      - notify: {to: customer, template: request_submitted}\n",
     "      - notify: {to: customer, template: work_started}\n",
     "rules.yaml changed: rule 'acknowledge' action 0 was notify {template: request_submitted, "
     "to: customer}, now notify {template: work_started, to: customer}; not performed"),
    ("    then:\n      - notify: {to: customer, template: request_submitted}\n",
     "    then:\n      - transition: {to: Reviewing}\n"
     "      - notify: {to: customer, template: request_submitted}\n",
     "rules.yaml changed: rule 'acknowledge' action 0 was notify {template: request_submitted, "
     "to: customer}, now transition {to: Reviewing}; not performed"),
])
def test_an_action_changed_while_pending_is_superseded_not_performed(
        make_rig: Callable[..., LedgerRig], old: str, new: str, reason: str) -> None:
    """rules.yaml edited between recording and performing (a template swapped; an action
    inserted before the recorded one): the recorded action is not performed under its old key,
    in any form; its row says what changed. Before the typed ledger, the action then at that
    position was performed (a work_started mail, or a transition)."""
    rig = make_rig()
    key = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    _record_then_die(rig)
    rig.edit("rules.yaml", old, new)
    rig.advance(timedelta(minutes=1))
    rig.cycle()
    row = rig.effects(key)["acknowledge 0:notify"]
    assert (row.status, row.detail) == ("superseded", reason)
    assert rig.mails(key) == []
    assert rig.tracker.ticket(key).status == "Pending"


def test_an_unchanged_action_is_performed_and_a_removed_rule_superseded(
        make_rig: Callable[..., LedgerRig]) -> None:
    """The same definition replays (whitespace and key order in rules.yaml do not matter);
    a rule removed meanwhile supersedes its rows."""
    rig = make_rig()
    key = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    _record_then_die(rig)
    rig.edit("rules.yaml", "      - notify: {to: customer, template: request_submitted}\n",
             "      - notify:\n          template: request_submitted\n          to: customer\n")
    rig.edit("rules.yaml", "      - categorize\n", "      - categorize: {}\n")
    rig.cycle()
    effects = rig.effects(key)
    assert [effects[k].status for k in ("acknowledge 0:notify", "acknowledge 1:categorize")] \
        == ["done", "done"]
    assert len(rig.mails(key, "request_submitted")) == 1

    other = rig.new_ticket("Export to CSV fails")
    rig.advance(timedelta(minutes=5))
    _record_then_die(rig)
    rig.edit("rules.yaml", "  - name: acknowledge\n", "  - name: acknowledge requests\n")
    rig.cycle()
    row = rig.effects(other)["acknowledge 0:notify"]
    assert row.status == "superseded"
    assert row.detail == ("rules.yaml changed: rule 'acknowledge' is gone (its action 0 was "
                          "notify {template: request_submitted, to: customer}); not performed")


def test_explain_and_outbox_list_show_a_superseded_message(
        make_rig: Callable[..., LedgerRig], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The operator sees a message that will never be sent: `outbox list` names it with the
    reason, and the ticket's ledger in `explain` says superseded, never performed, and why."""
    from connector.commands.explain import ledger_lines

    rig = make_rig()
    key = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    _record_then_die(rig)
    rig.edit("rules.yaml", "template: request_submitted}", "template: work_started}")
    rig.cycle()
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(rig.settings.state_db))
    capsys.readouterr()
    assert main(["outbox"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.split()[1:4] == ["superseded", key, "acknowledge"]
               and "was notify {template: request_submitted" in line for line in out)
    assert out[-1] == "0 pending, 0 failed, 1 never sent (superseded)"
    service = rig.service()
    try:
        ctx = Context(service.config, service.runtime.calendar, rig.clock.now())
        lines = ledger_lines(service.store.effects_for(key), ctx)
    finally:
        service.close()
    assert lines[0] == "ledger:"
    assert any("acknowledge  0:notify on created  superseded, never performed: rules.yaml "
               "changed: rule 'acknowledge' action 0 was" in line for line in lines)
    assert any("acknowledge  1:categorize on created  done: category Access" in line
               for line in lines)


def test_a_row_from_before_digests_replays_on_its_kind(
        make_rig: Callable[..., LedgerRig]) -> None:
    """Rows an older ticketflow recorded name only "0:notify" (no digest, no event): they are
    performed while the rule has that kind of action at that index, and superseded if not."""
    from connector.state.sqlite import SqliteStateStore

    rig = make_rig()
    key = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    _record_then_die(rig)
    store = SqliteStateStore(rig.settings.state_db)
    with store.db.transaction():
        store.db.execute("UPDATE ledger SET action_index = 0, action_kind = 'notify', "
                         "action_definition = NULL, action_digest = NULL, event_kind = NULL "
                         "WHERE action = '0:notify'")
        store.db.execute("UPDATE ledger SET action_index = NULL, action_kind = NULL, "
                         "action_definition = NULL, action_digest = NULL, event_kind = NULL "
                         "WHERE action = '1:categorize'")
    store.close()
    rig.edit("rules.yaml", "      - categorize\n", "      - transition: {to: Reviewing}\n")
    rig.cycle()
    rows = rig.effects(key)
    assert rows["acknowledge 0:notify"].status == "done"
    assert len(rig.mails(key, "request_submitted")) == 1
    assert (rows["acknowledge 1:categorize"].status, rows["acknowledge 1:categorize"].detail) \
        == ("superseded", "rules.yaml changed: rule 'acknowledge' action 1 was categorize, now "
            "transition {to: Reviewing}; not performed")
