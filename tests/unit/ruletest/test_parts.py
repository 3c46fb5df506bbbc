"""The parts under `ticketflow test`: times as tests write them, when an advance runs cycles,
the mail a `mail:` step delivers, and a harness that queues messages but sends none."""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.config.actions import ACTIONS
from connector.config.loader import load_config
from connector.config.moments import parse_moment, parse_start
from connector.config.ruletests import ActionKind, MailSpec
from connector.mail.intake.classify import Signals, bounce_details, classify
from connector.mail.intake.parse import parse
from connector.ruletest.harness import Harness
from connector.ruletest.mail import compose
from connector.ruletest.timing import cycle_after

ROOT = Path(__file__).resolve().parents[3]
CHICAGO = ZoneInfo("America/Chicago")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO)
SIGNALS = Signals(own_addresses=frozenset({"redcap_helpdesk@example.edu"}),
                  own_domain="example.edu")


@pytest.mark.parametrize(("text", "inclusive", "expected"), [
    ("Mon 09:00", True, datetime(2026, 11, 30, 9, 0)),     # now is such a moment
    ("Mon 09:00", False, datetime(2026, 12, 7, 9, 0)),     # the next one, a week on
    ("Monday 12:59", False, datetime(2026, 11, 30, 12, 59)),
    ("08:30", False, datetime(2026, 12, 1, 8, 30)),        # today's is gone: tomorrow's
    ("Sun 2026-11-01 01:30", False, datetime(2026, 11, 1, 1, 30)),  # a date is a date
])
def test_a_moment_names_the_next_such_time_on_the_calendar_clock(
        text: str, inclusive: bool, expected: datetime) -> None:
    """Weekday and time resolve to the first such wall time after now (or at it)."""
    at = parse_moment(text).resolve(CHICAGO, MONDAY_9, inclusive=inclusive)
    assert at == expected.replace(tzinfo=CHICAGO)


@pytest.mark.parametrize(("text", "words"), [
    ("Mon 9", "is not a time"),
    ("Mon 24:00", "no such time of day"),
    ("Mon 2026-02-30 09:00", "is not a date that exists"),
    ("Tue 2026-11-30 09:00", "2026-11-30 is a Mon, not a Tue"),
    ("Fry 09:00", "'Fry' is not a weekday"),
])
def test_a_time_that_cannot_be_read_says_why(text: str, words: str) -> None:
    """Each wrong form gets its own reason (the file check prints it located)."""
    with pytest.raises(ValueError, match=words):
        parse_moment(text)


def test_a_start_needs_its_date() -> None:
    """`Mon 09:00` cannot start a case: which Monday?"""
    with pytest.raises(ValueError, match="has no date"):
        parse_start("Mon 09:00")


def test_a_cycle_runs_the_first_whole_minute_after_a_limit_passes() -> None:
    """A limit reached at 13:00:00 holds only after it (`over` is strict): 13:01; one
    reached at 13:00:30, also 13:01."""
    assert cycle_after(datetime(2026, 11, 30, 19, 0, tzinfo=UTC)) == datetime(
        2026, 11, 30, 19, 1, tzinfo=UTC)
    assert cycle_after(datetime(2026, 11, 30, 19, 0, 30, tzinfo=UTC)) == datetime(
        2026, 11, 30, 19, 1, tzinfo=UTC)


def test_expectation_kinds_are_the_action_kinds() -> None:
    """`kind:` in an action expectation offers exactly the actions rules.yaml has."""
    assert set(typing.get_args(ActionKind)) == set(ACTIONS)


def test_a_bounce_step_is_a_delivery_report_intake_reads_as_one() -> None:
    """The DSN a `bounce:` step delivers is classified a bounce, with the recipient, the
    status and the Message-ID of ticketflow's message it returns."""
    spec = MailSpec.model_validate({"from": "MAILER-DAEMON@mx.uni.example.edu",
                                    "subject": "Undelivered Mail Returned to Sender",
                                    "bounce": {"status": "5.1.1"}})
    _, raw = compose(spec, number=1, now=MONDAY_9, helpdesk="redcap_helpdesk@example.edu",
                     answers="<tf.0123@example.edu>", recipient="pat.deo@uni.example.edu")
    mail = parse(raw)
    assert classify(mail, SIGNALS, sent_by_us=lambda ids: False).kind == "bounce"
    found = bounce_details(mail)
    assert (found.recipients, found.status, found.original_ids) == (
        ("pat.deo@uni.example.edu",), "5.1.1", ("<tf.0123@example.edu>",))


def test_a_mail_step_carries_its_headers_and_threads_on_the_answered_message() -> None:
    """`headers:` reach the message (an out-of-office is an auto-reply); `in_reply_to`
    becomes In-Reply-To and References; a sender's name stays with the address."""
    spec = MailSpec.model_validate({"from": "Sam Lee <sam.lee@uni.example.edu>",
                                    "subject": "Automatic reply: away",
                                    "headers": {"Auto-Submitted": "auto-replied"}})
    message_id, raw = compose(spec, number=2, now=MONDAY_9,
                              helpdesk="redcap_helpdesk@example.edu",
                              answers="<tf.0123@example.edu>", recipient=None)
    mail = parse(raw)
    assert classify(mail, SIGNALS, sent_by_us=lambda ids: False).kind == "auto_reply"
    assert mail.message_id == message_id == "<ruletest.2@uni.example.edu>"
    assert mail.in_reply_to == ("<tf.0123@example.edu>",)
    assert mail.sender is not None and mail.sender.address == "sam.lee@uni.example.edu"


def test_the_harness_queues_messages_and_sends_none(tmp_path: Path) -> None:
    """A ticket acknowledged in the harness leaves its message as a pending outbox row: no
    delivery ran, so no outbox folder (or SMTP or webhook) was ever written to."""
    harness = Harness(load_config(ROOT), start=MONDAY_9, folder=tmp_path)
    try:
        mark = harness.mark()
        key = harness.create(summary="Locked out", description="", customer="pat@uni.example.edu",
                             labels=[], category=None, tier=None, assignee=None)
        harness.settle()
        (message,) = harness.messages_since(mark, key)
        assert (message.template, message.recipient, message.status) == (
            "request_submitted", "pat@uni.example.edu", "pending")
        assert not (tmp_path / "outbox").exists()
        assert harness.state(key).category == "Access"
    finally:
        harness.close()
