"""The intake decision with plain values: a parsed mail, its class and the tickets it names in,
a new ticket, a comment, a reopen, a bounce note or the quarantine out, each with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from connector.engine.calendar import BusinessCalendar
from connector.mail.intake.classify import Classification
from connector.mail.intake.decide import (
    BounceNote,
    Candidate,
    Comment,
    Decision,
    NewTicket,
    Quarantine,
    Reopen,
    TicketFacts,
    decide,
    participants,
)
from connector.mail.intake.parse import parse
from connector.mail.intake.rules import IntakeRules
from connector.mail.intake.thread import Match

from .harness import shipped_config
from .mails import fixture

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Chicago
PAT = "pat.doe@uni.example.edu"
PERSON = Classification("ordinary", "a person's mail")


@cache
def rules() -> IntakeRules:
    return IntakeRules.from_config(shipped_config(), mail_from="redcap_helpdesk@example.edu")


def calendar() -> BusinessCalendar:
    return BusinessCalendar.from_config(shipped_config().rules.calendar)


def mail(*headers: str, sender: str = f"Pat Doe <{PAT}>", subject: str = "Re: Help") -> bytes:
    lines = [f"From: {sender}", "To: redcap_helpdesk@example.edu", f"Subject: {subject}",
             "Message-ID: <m1@uni.example.edu>", *headers, "", "Hello"]
    return "\r\n".join(lines).encode()


def ticket(key: str = "HELP-1", *, status: str = "Reviewing", customer: str | None = PAT,
           participants: tuple[str, ...] = (), completed_at: datetime | None = None
           ) -> TicketFacts:
    done = status == "Done"
    return TicketFacts(key, status, done, customer, frozenset(participants),
                       completed_at=completed_at, reopen_to="Reviewing" if done else None)


def by(how: str, facts: TicketFacts | None, key: str = "HELP-1") -> Candidate:
    return Candidate(Match(key, how), facts)  # type: ignore[arg-type]


def run(raw: bytes, found: Classification = PERSON, candidates: list[Candidate] | None = None,
        *, bounce_key: str | None = None, now: datetime = NOW) -> Decision:
    return decide(parse(raw), found, candidates or [], rules=rules(), calendar=calendar(),
                  now=now, bounce_key=bounce_key)


def test_a_request_naming_no_ticket_is_a_new_ticket_for_its_sender() -> None:
    """No candidates: a new ticket whose customer is the sender; the reason is the class's."""
    assert run(mail()) == NewTicket("a person's mail", PAT)


def test_automatic_mail_opens_a_ticket_for_no_one_with_the_auto_label() -> None:
    """Cron mail: a ticket with no customer (nobody is acknowledged) and the `tf-auto` label."""
    found = Classification("auto_generated", "Auto-Submitted: auto-generated")
    assert run(mail(sender="cron@hpc.example.edu"), found) == NewTicket(
        "Auto-Submitted: auto-generated", None, labels=("tf-auto",))


def test_a_reply_to_an_open_ticket_is_the_customers_public_comment() -> None:
    """Found by In-Reply-To, from the customer: a public comment on the customer's side."""
    assert run(mail(), candidates=[by("In-Reply-To", ticket())]) == Comment(
        "HELP-1", "reply", internal=False, side="customer")


def test_staff_may_use_a_key_and_write_as_staff() -> None:
    """An engineer of mappings.yaml's roles: the key in the subject suffices; staff's words."""
    decision = run(mail(sender="Alice <alice@example.edu>", subject="[HELP-1] found it"),
                   candidates=[by("subject", ticket())])
    assert decision == Comment("HELP-1", "reply", internal=False, side="staff")


def test_a_strangers_key_opens_a_new_ticket_related_to_the_one_named() -> None:
    """`[HELP-1]` from someone not on HELP-1: a new ticket of theirs, related, never joined."""
    decision = run(mail(sender="Mallory <mallory@evil.example>", subject="Re: [HELP-1] x"),
                   candidates=[by("subject", ticket())])
    assert isinstance(decision, NewTicket)
    assert (decision.customer, decision.related) == ("mallory@evil.example", "HELP-1")
    assert decision.related_why == "mallory@evil.example is not on it"


def test_a_customers_forward_is_a_new_ticket_related_to_the_forwarded_one() -> None:
    """`Fwd:` from a customer passes a mail on: a new request (Zammad #4965), related."""
    decision = run(mail(subject="Fwd: [HELP-1] We received your request"),
                   candidates=[by("subject", ticket())])
    assert isinstance(decision, NewTicket)
    assert (decision.related, decision.related_why) == ("HELP-1", "a forward")


def test_the_first_ticket_the_mail_may_join_wins_and_later_ones_are_not_read() -> None:
    """Candidates are read in order and no further than needed: a deleted ticket (None) is
    passed over, the next one is joined, and the one after is never fetched."""
    def candidates() -> Iterator[Candidate]:
        yield by("In-Reply-To", None, key="HELP-9")
        yield by("References", ticket("HELP-2"), key="HELP-2")
        raise AssertionError("read past the ticket the mail joins")

    decision = decide(parse(mail()), PERSON, candidates(), rules=rules(), calendar=calendar(),
                      now=NOW)
    assert decision == Comment("HELP-2", "reply", internal=False, side="customer")


def test_automatic_mail_on_a_ticket_is_an_internal_note_of_no_one() -> None:
    """A monitoring mail threading onto a ticket changes nothing: an internal note."""
    found = Classification("bulk", "List-Id")
    assert run(mail(), found, [by("In-Reply-To", ticket())]) == Comment(
        "HELP-1", "List-Id", internal=True)


def test_an_out_of_office_notes_its_ticket_and_is_quarantined_without_one() -> None:
    """An automatic reply: an internal note that reopens nothing; with no ticket, set aside."""
    found = Classification("auto_reply", "Auto-Submitted: auto-replied")
    completed = ticket(status="Done", completed_at=NOW - timedelta(hours=2))
    assert run(mail(), found, [by("In-Reply-To", completed)]) == Comment(
        "HELP-1", "Auto-Submitted: auto-replied", internal=True, automatic_reply=True)
    assert run(mail(), found) == Quarantine(
        "an automatic reply (Auto-Submitted: auto-replied) to no known ticket")


def test_a_reply_to_a_completed_ticket_reopens_it_within_the_window_only() -> None:
    """Within `reopen_window` (7 days, calendar time): back to Reviewing with the reply; a
    day after it: a new ticket that follows the completed one."""
    recent = ticket(status="Done", completed_at=NOW - timedelta(days=6))
    assert run(mail(), candidates=[by("In-Reply-To", recent)]) == Reopen(
        "HELP-1", "Reviewing", "customer")
    old = ticket(status="Done", completed_at=NOW - timedelta(days=8))
    late = run(mail(), candidates=[by("In-Reply-To", old)])
    assert late == NewTicket("a person's mail", PAT, follows="HELP-1")


def test_our_own_mail_coming_back_is_quarantined() -> None:
    """A loop is stopped at once, with the signal that recognised our mail."""
    found = Classification("own", "sent from our own address redcap_helpdesk@example.edu")
    decision = run(mail(sender="redcap_helpdesk@example.edu"), found)
    assert isinstance(decision, Quarantine) and decision.reason.startswith("our own mail")


def _bounce() -> bytes:
    return fixture("bounce-dsn.eml").replace(b"{{ORIGINAL}}", b"<tf.ack@example.edu>")


BOUNCE = Classification("bounce", "delivery status report (RFC 3464)")


def test_a_permanent_bounce_of_our_mail_notes_its_ticket_and_pauses_the_address() -> None:
    """A 5.1.1 bounce returning mail we sent for HELP-3: an internal note there, and no
    automatic mail to the address for 60 days."""
    decision = run(_bounce(), BOUNCE, bounce_key="HELP-3")
    assert isinstance(decision, BounceNote) and decision.key == "HELP-3"
    assert decision.suppress is not None
    assert decision.suppress.addresses == ("robin.park@uni.exmaple.edu",)
    assert decision.suppress.until == NOW + timedelta(days=60)
    assert decision.suppress.reason.startswith("bounced: 5.1.1")


def test_a_bounce_of_nothing_we_sent_is_quarantined_and_pauses_no_one() -> None:
    """Anyone can write a delivery report naming a customer's address: one that returns no
    mail of ours is set aside and silences nobody."""
    decision = run(_bounce(), BOUNCE, bounce_key=None)
    assert decision == Quarantine(
        "a bounce for no known ticket (recipients: robin.park@uni.exmaple.edu)")


@pytest.mark.parametrize("how", ["In-Reply-To", "References", "ticket root", "subject"])
def test_a_stranger_cannot_join_a_ticket_by_any_reference(how: str) -> None:
    """A forged In-Reply-To or References (our Message-IDs, or the customer's, can leak) is
    no better than a typed key: someone not on the ticket opens a new one, related."""
    decision = run(mail(sender="Mallory <mallory@evil.example>"),
                   candidates=[by(how, ticket())])
    assert isinstance(decision, NewTicket) and decision.related == "HELP-1"


def test_participants_may_join_by_their_headers() -> None:
    """Someone copied on the ticket's mail (a reply-all) joins it as the customer's side."""
    colleague = ticket(participants=("kim@uni.example.edu",))
    decision = run(mail(sender="Kim <kim@uni.example.edu>"),
                   candidates=[by("References", colleague)])
    assert decision == Comment("HELP-1", "reply", internal=False, side="customer")


def test_a_stranger_cannot_reopen_a_completed_ticket() -> None:
    """A forged reply to a completed ticket within its window: a new ticket, not a reopen."""
    completed = ticket(status="Done", completed_at=NOW - timedelta(days=1))
    decision = run(mail(sender="Mallory <mallory@evil.example>"),
                   candidates=[by("In-Reply-To", completed)])
    assert isinstance(decision, NewTicket) and decision.related == "HELP-1"


@cache
def checking_rules() -> IntakeRules:
    """The shipped rules with `mailbox.authserv_id: mx.example.edu`."""
    config = shipped_config()
    box = config.mappings.mailbox.model_copy(update={"authserv_id": "mx.example.edu"})
    mappings = config.mappings.model_copy(update={"mailbox": box})
    return IntakeRules.from_config(replace(config, mappings=mappings),
                                   mail_from="redcap_helpdesk@example.edu")


FAILED = "Authentication-Results: mx.example.edu; dmarc=fail header.from=uni.example.edu"


def checked(raw: bytes, found: Classification = PERSON,
            candidates: list[Candidate] | None = None, bounce_key: str | None = None
            ) -> Decision:
    return decide(parse(raw), found, candidates or [], rules=checking_rules(),
                  calendar=calendar(), now=NOW, bounce_key=bounce_key)


def test_a_reply_that_fails_dmarc_opens_a_marked_ticket_instead_of_joining() -> None:
    """The customer's address, the right In-Reply-To, but the mailbox's server says DMARC
    failed: a new ticket labelled tf-unverified, related to the one it named, saying why."""
    decision = checked(mail(FAILED), candidates=[by("In-Reply-To", ticket())])
    assert decision == NewTicket(
        "a person's mail", PAT, labels=("tf-unverified",), related="HELP-1",
        related_why="its sender could not be verified: dmarc=fail", unverified="dmarc=fail")


def test_a_passing_or_foreign_verdict_changes_nothing() -> None:
    """Our server's pass, or a failure written by some other server, is an ordinary reply."""
    for header in ("Authentication-Results: mx.example.edu; dmarc=pass header.from=x",
                   "Authentication-Results: mx.evil.example; dmarc=fail header.from=x"):
        decision = checked(mail(header), candidates=[by("In-Reply-To", ticket())])
        assert decision == Comment("HELP-1", "reply", internal=False, side="customer")


def test_a_bounce_or_automatic_reply_that_fails_is_set_aside() -> None:
    """Neither joins its ticket, and a failed bounce pauses nobody's mail."""
    bounce = checked(_bounce().replace(b"MIME-Version", FAILED.encode() + b"\r\nMIME-Version"),
                     BOUNCE, bounce_key="HELP-3")
    assert bounce == Quarantine("a bounce whose sender failed authentication (dmarc=fail)")
    found = Classification("auto_reply", "Auto-Submitted: auto-replied")
    reply = checked(mail(FAILED), found, [by("In-Reply-To", ticket())])
    assert reply == Quarantine(
        "an automatic reply whose sender failed authentication (dmarc=fail)")


def test_a_reply_to_address_is_no_participant_by_itself() -> None:
    """Sender, To and Cc take part in the ticket; a Reply-To naming someone else does not
    (anyone may write anyone there), and the helpdesk's own address never does."""
    raw = mail("Reply-To: Mallory <mallory@evil.example>", "Cc: Kim <kim@uni.example.edu>")
    assert participants(parse(raw), rules()) == (PAT, "kim@uni.example.edu")


def test_reply_to_names_the_customer_only_for_a_no_reply_sender() -> None:
    """A person's mail is for that person whatever its Reply-To says; a web form's no-reply
    From leaves the customer to its Reply-To."""
    person = run(mail("Reply-To: Mallory <mallory@evil.example>"))
    form = run(mail(f"Reply-To: Pat Doe <{PAT}>", sender="Forms <noreply@forms.example.edu>"))
    assert isinstance(person, NewTicket) and person.customer == PAT
    assert isinstance(form, NewTicket) and form.customer == PAT
