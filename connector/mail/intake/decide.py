"""Mail intake's decision, without I/O: a classified mail and the tickets it names in, what to
do with it out (a new ticket, a comment, a reopen, a bounce note or the quarantine), with why.

The pass control (`ingest.py`) gathers the facts (stored Message-IDs, the tickets a mail
names as the tracker and the state know them) and performs what is decided, as the engine's
planner and executor split the rules. Candidate tickets are read in order and the first one
the mail may join wins, so the pass control may fetch them one by one as they are asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from connector.engine.calendar import BusinessCalendar
from connector.mail.intake.authres import Verdict, verdict
from connector.mail.intake.classify import Bounce, Classification, bounce_details
from connector.mail.intake.parse import ParsedMail
from connector.mail.intake.rules import IntakeRules, customer_address
from connector.mail.intake.thread import Match, authorised, is_forward

Side = Literal["customer", "staff"]
BOUNCE_PAUSE = timedelta(days=60)  # as Zammad blocks trigger mail to a failed address
AUTO_LABEL = "tf-auto"  # a ticket opened by automatic mail (cron, monitoring): never acknowledged
UNVERIFIED_LABEL = "tf-unverified"  # its sender failed DMARC/DKIM/SPF at the mailbox's server


@dataclass(frozen=True)
class TicketFacts:
    """A ticket a mail names, as the tracker and the state know it."""

    key: str
    status: str  # a workflow status
    done: bool
    customer: str | None
    participants: frozenset[str]
    completed_at: datetime | None = None  # when it entered its done status (done tickets)
    reopen_to: str | None = None  # the status the workflow's way out of `status` leads to


@dataclass(frozen=True)
class Candidate:
    """A ticket the mail points at and how; `ticket` is None when the tracker has no such
    ticket (deleted, moved, or a key that never existed)."""

    match: Match
    ticket: TicketFacts | None


@dataclass(frozen=True)
class Suppression:
    """No automatic mail to these addresses until `until` (a permanent delivery failure)."""

    addresses: tuple[str, ...]
    until: datetime
    reason: str


@dataclass(frozen=True)
class NewTicket:
    """Open a ticket for the mail's sender (`customer`; None for automatic mail)."""

    reason: str
    customer: str | None
    labels: tuple[str, ...] = ()
    follows: str | None = None  # a completed ticket whose reopen window had passed
    related: str | None = None  # a ticket the mail named but may not join
    related_why: str = ""
    unverified: str = ""  # the failed verdict (`dmarc=fail`) when the sender may be forged
    project: str | None = None  # the project whose own address it was sent to (None: default)


@dataclass(frozen=True)
class Comment:
    """Add the mail to `key`: a person's words (`side`), or an internal note for automatic mail."""

    key: str
    reason: str
    internal: bool
    side: Side | None = None  # None: not a person's reply (a note that changes nothing)
    automatic_reply: bool = False  # an out-of-office: noted with its subject, body shortened


@dataclass(frozen=True)
class Reopen:
    """A reply to a completed ticket within its reopen window: a comment, then back to work."""

    key: str
    to_status: str
    side: Side
    reason: str = "reply reopened it"


@dataclass(frozen=True)
class BounceNote:
    """A delivery failure of our mail: an internal note on the ticket it was about."""

    key: str
    details: Bounce
    suppress: Suppression | None
    reason: str = "bounce"


@dataclass(frozen=True)
class Quarantine:
    """Set aside with the reason (an operator may release it: `ticketflow mail release`)."""

    reason: str
    suppress: Suppression | None = None


Decision = NewTicket | Comment | Reopen | BounceNote | Quarantine


def decide(mail: ParsedMail, found: Classification, candidates: Iterable[Candidate], *,
           rules: IntakeRules, calendar: BusinessCalendar, now: datetime,
           bounce_key: str | None = None) -> Decision:
    """What to do with one mail. `candidates` are the tickets it names, best first (stored
    Message-IDs, then keys); `bounce_key` the ticket of the mail of ours a bounce returns."""
    if found.kind == "own":
        return Quarantine(f"our own mail came back ({found.reason}); not processed, so no mail "
                          "loop")
    checked = verdict(mail.header_all("authentication-results"),
                      rules.config.mappings.mailbox.authserv_id)
    if checked.failed:
        return _unverified(mail, found, candidates, checked, rules)
    if found.kind == "bounce":
        return _bounce(mail, bounce_key, now)
    ticket, refused, why = _thread(mail, candidates, rules)
    if found.kind == "auto_reply":
        if ticket is None:
            return Quarantine(f"an automatic reply ({found.reason}) to no known ticket")
        return Comment(ticket.key, found.reason, internal=True, automatic_reply=True)
    if ticket is None:
        return _new_ticket(mail, found, rules, related=refused, related_why=why)
    if found.automatic:  # automatic mail on a ticket: a note that changes nothing
        return Comment(ticket.key, found.reason, internal=True)
    side = _side(mail, rules)
    if ticket.done:
        return _reply_to_done(mail, found, ticket, side=side, rules=rules, calendar=calendar,
                              now=now)
    return Comment(ticket.key, "reply", internal=False, side=side)


def _thread(mail: ParsedMail, candidates: Iterable[Candidate], rules: IntakeRules
            ) -> tuple[TicketFacts | None, str | None, str]:
    """The ticket the mail joins, else (None, a ticket it named but may not join, why not)."""
    sender = mail.sender.address if mail.sender else None
    forward = is_forward(mail.subject) and sender not in rules.staff
    refused, why = None, ""
    for candidate in candidates:
        ticket = candidate.ticket
        if ticket is None:
            continue
        if forward:
            refused, why = refused or ticket.key, why or "a forward"
            continue
        if not _may_join(sender, ticket, rules):
            refused, why = refused or ticket.key, why or f"{sender} is not on it"
            continue
        return ticket, None, ""
    return None, refused, why


def _unverified(mail: ParsedMail, found: Classification, candidates: Iterable[Candidate],
                checked: Verdict, rules: IntakeRules) -> Decision:
    """The mailbox's server says the sender is not who From claims: the mail joins no ticket
    (a bounce or an automatic reply is set aside), and a new ticket says so in its text and
    its label, linked to the first ticket the mail named."""
    if found.kind in ("bounce", "auto_reply"):
        return Quarantine(f"{'a bounce' if found.kind == 'bounce' else 'an automatic reply'} "
                          f"whose sender failed authentication ({checked.detail})")
    named = next((c.ticket.key for c in candidates if c.ticket is not None), None)
    ticket = _new_ticket(mail, found, rules, related=named,
                         related_why=f"its sender could not be verified: {checked.detail}")
    return replace(ticket, labels=(*ticket.labels, UNVERIFIED_LABEL), unverified=checked.detail)


def participants(mail: ParsedMail, rules: IntakeRules) -> tuple[str, ...]:
    """Who the mail makes a participant of its ticket (and so free to write to it): its
    sender and those it was sent or copied to, never ourselves, and never a Reply-To on its
    own account (anyone can name anyone there)."""
    people = [p.address for p in (mail.sender, *mail.to, *mail.cc) if p]
    own = rules.signals.own_addresses
    return tuple(dict.fromkeys(a for a in people if a not in own))


def _may_join(sender: str | None, ticket: TicketFacts, rules: IntakeRules) -> bool:
    return authorised(sender, customer=ticket.customer, participants=set(ticket.participants),
                      staff=set(rules.staff))


def _side(mail: ParsedMail, rules: IntakeRules) -> Side:
    sender = mail.sender.address if mail.sender else ""
    return "staff" if sender in rules.staff else "customer"


def _new_ticket(mail: ParsedMail, found: Classification, rules: IntakeRules, *,
                follows: str | None = None, related: str | None = None,
                related_why: str = "") -> NewTicket:
    customer = None if found.automatic else customer_address(mail, rules.signals)
    return NewTicket(found.reason, customer, labels=(AUTO_LABEL,) if found.automatic else (),
                     follows=follows, related=related, related_why=related_why,
                     project=_project(mail, rules))


def _project(mail: ParsedMail, rules: IntakeRules) -> str | None:
    """The project the mail was sent to by its own address; None for the default one."""
    mappings = rules.config.mappings
    chosen = mappings.project_for_mail(recipients(mail))
    return None if chosen == mappings.project else chosen


def recipients(mail: ParsedMail) -> list[str]:
    """Where the mail was sent: To and Cc, and the envelope's address as the receiving
    server records it (a Bcc to a project's address shows only there)."""
    written = [p.address for p in (*mail.to, *mail.cc)]
    return written + [value.strip().strip("<>") for name in ("delivered-to", "x-original-to")
                      for value in mail.header_all(name)]


def _reply_to_done(mail: ParsedMail, found: Classification, ticket: TicketFacts, *, side: Side,
                   rules: IntakeRules, calendar: BusinessCalendar, now: datetime) -> Decision:
    """Within the reopen window a comment and back to work; after it (or with no way back
    in the workflow) a new ticket that follows the completed one."""
    window = rules.config.mappings.mailbox.reopen_window
    completed = ticket.completed_at or now
    if ticket.reopen_to is None or now > calendar.add(completed, window):
        return _new_ticket(mail, found, rules, follows=ticket.key)
    return Reopen(ticket.key, ticket.reopen_to, side)


def _bounce(mail: ParsedMail, key: str | None, now: datetime) -> Decision:
    """A bounce that returns mail we sent notes its ticket, and a permanent failure pauses
    automatic mail to the address. One that returns nothing of ours is quarantined and
    pauses nothing: anyone can write a delivery report, and one naming a customer's address
    must not silence the helpdesk towards them."""
    details = bounce_details(mail)
    if key is None:
        who = ", ".join(details.recipients) or "unknown"
        return Quarantine(f"a bounce for no known ticket (recipients: {who})")
    suppress = None
    if details.permanent and details.recipients:
        reason = f"bounced: {details.status or 'failed'} {details.diagnostic}".strip()[:200]
        suppress = Suppression(details.recipients, now + BOUNCE_PAUSE, reason)
    return BounceNote(key, details, suppress)
