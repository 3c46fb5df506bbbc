"""Steps and settings of a case that the shipped tests do not show: a case's own calendar, a
move made by ticketflow itself, an assignment, a customer's comment, and a time to go back to."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.cli import main

TICKET = "      t: {summary: Cannot export my project data, customer: pat@uni.example.edu}\n"


def _run(folder: Path, cases: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    test_file = folder / "rules" / "tests" / "extra.yaml"
    test_file.write_text("start: Mon 2026-11-30 09:00\ncases:\n" + cases)
    code = main(["test", "--config-dir", str(folder), str(test_file)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_case_may_bring_its_own_calendar(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a calendar whose Monday is a holiday, a ticket reviewed Monday 09:00 escalates
    Tuesday at 12:01, not Monday at 13:01."""
    code, out = _run(shipped_config, f"""
  - name: own calendar
    calendar: {{timezone: America/Chicago, hours: "08:00-17:00", holidays: [2026-11-30]}}
    tickets:
{TICKET}    steps:
      - created: t
      - status: {{to: Reviewing, by: alice}}
      - advance: {{to: Mon 13:01}}
        expect_not: {{actions: [escalate stale tier 1]}}
      - advance: {{to: Tue 11:59}}
        expect_not: {{actions: [escalate stale tier 1]}}
      - advance: {{to: Tue 12:01}}
        expect: {{tier: 2}}
""", capsys)
    assert code == 0, out


def test_a_move_by_ticketflow_fires_no_rule_and_a_persons_does(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`by: ticketflow` is ticketflow's own change (rules ignore it unless they include own
    changes); the same move by a person starts the work-started notice."""
    code, out = _run(shipped_config, f"""
  - name: by ticketflow
    tickets:
{TICKET}    steps:
      - created: t
      - status: {{to: [Reviewing, In Progress], by: ticketflow}}
        expect_not: {{actions: [work started]}}
      - status: {{to: [Assigned, In Progress], by: bob}}
        expect: {{actions: [work started]}}
""", capsys)
    assert code == 0, out


def test_assign_and_comment_steps_raise_their_events(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An `assign` step is an `assigned` event, a customer's `comment` a `commented: {by:
    customer}` one, a staff comment not: rules added to rules.yaml answer them."""
    with (shipped_config / "rules.yaml").open("a") as rules:
        rules.write("""
  - name: tell the assignee
    on: assigned
    if: {assignee: any}
    then:
      - notify: {to: assignee, template: assigned_to_you}
  - name: customer wrote
    on: {commented: {by: customer}}
    then:
      - notify: {to: assignee, template: work_started}
""")
    code, out = _run(shipped_config, f"""
  - name: events
    tickets:
{TICKET}    steps:
      - created: t
      - assign: {{to: carol, by: alice}}
        expect:
          messages: [{{template: assigned_to_you, to: carol}}]
          assignee: carol
      - comment: {{by: staff, text: "Could you send the file?"}}
        expect_not: {{actions: [customer wrote]}}
      - comment: {{by: customer, text: Here it is.}}
        expect:
          messages: [{{template: work_started, to: assignee}}]
""", capsys)
    assert code == 0, out


def test_advancing_to_a_time_gone_by_is_an_error_of_the_case(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`advance: {to: <an earlier date>}` cannot run the clock backwards: E, saying so."""
    code, out = _run(shipped_config, """
  - name: backwards
    steps:
      - advance: {to: 2026-11-29 09:00}
""", capsys)
    assert code == 1
    assert "error: advance to 2026-11-29 09:00 would go back in time; expected a time after now" \
        in out
