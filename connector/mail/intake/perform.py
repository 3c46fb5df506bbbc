"""Intake's decision carried out in the tracker: the ticket, comment, reopen or bounce note it
names, with the mail's text and files, each write fenced by `TicketWriter`'s milestones."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from connector.mail.intake import content as c
from connector.mail.intake.base import RawMail
from connector.mail.intake.classify import Classification
from connector.mail.intake.decide import (
    BounceNote,
    Comment,
    Decision,
    NewTicket,
    Quarantine,
    Reopen,
    Suppression,
)
from connector.mail.intake.parse import ParsedMail
from connector.mail.intake.rules import IntakeRules
from connector.mail.intake.writer import TicketWriter
from connector.state.intake import MailComment, MailRecord, Outcome
from connector.state.store import SqlStateStore

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One message on its way: parsed, classified, recorded; its content made on demand."""

    mail: ParsedMail
    raw: RawMail
    found: Classification
    record: MailRecord
    now: datetime
    body: c.Content | None = None

    @property
    def content(self) -> c.Content:
        assert self.body is not None, "content is made before any ticket or comment"
        return self.body


@dataclass(frozen=True)
class Done:
    """What performing a decision left: its outcome, the ticket, and why (for the record)."""

    outcome: Outcome
    key: str | None
    why: str


@dataclass(frozen=True)
class Performer:
    """Performs decisions; commits nothing (the pass control records the outcome)."""

    writer: TicketWriter
    store: SqlStateStore
    rules: IntakeRules

    def perform(self, job: Job, decision: Decision) -> Done:
        if isinstance(decision, Quarantine | BounceNote):
            self._suppress(decision.suppress, job.now)
        if isinstance(decision, Quarantine):
            return Done("quarantine", None, decision.reason)
        if isinstance(decision, BounceNote):
            paused = decision.suppress.until if decision.suppress else None
            self.writer.comment(job.record, decision.key,
                                c.bounce_body(decision.details, paused_until=paused),
                                internal=True)
            return Done("comment", decision.key, decision.reason)
        limits = self.rules.config.mappings.mailbox
        job.body = c.content(job.mail, job.raw, max_attachment=limits.max_attachment_size,
                             max_message=limits.max_message_size,
                             reply=not isinstance(decision, NewTicket))
        if isinstance(decision, NewTicket):
            return Done("ticket", self._new_ticket(job, decision), decision.reason)
        self._comment(job, decision)
        if isinstance(decision, Reopen):
            self.writer.reopen(job.record, decision.key, decision.to_status)
        return Done("comment", decision.key, decision.reason)

    def _suppress(self, suppression: Suppression | None, now: datetime) -> None:
        if suppression is None:
            return
        for address in suppression.addresses:
            self.store.suppress(address, reason=suppression.reason, until=suppression.until,
                                at=now)

    def _new_ticket(self, job: Job, decision: NewTicket) -> str:
        mail, body = job.mail, job.content
        text = c.description(mail, mail.sender, job.found, body, follows=decision.follows,
                             unverified=decision.unverified)
        if decision.related and not decision.follows:
            log.info("mail names %s but %s; a new ticket instead", decision.related,
                     decision.related_why)
            text += (f"\n\nNote: the mail names {decision.related}, but was not added there "
                     f"({decision.related_why}).")
        key = self.writer.create(job.record, summary=c.summary(mail, mail.sender),
                                 description=text, customer=decision.customer,
                                 labels=decision.labels, follows=decision.follows, now=job.now,
                                 project=decision.project)
        if decision.follows or decision.related:
            self.writer.link(job.record, key, decision.follows or decision.related or "")
        self._uploads(job, key)
        return key

    def _comment(self, job: Job, decision: Comment | Reopen) -> None:
        mail = job.mail
        internal = isinstance(decision, Comment) and decision.internal
        if isinstance(decision, Comment) and decision.automatic_reply:
            text = c.automatic_reply_body(mail, mail.sender, job.found, job.content)
            self.writer.comment(job.record, decision.key, text, internal=True)
            return
        sender = mail.sender.address if mail.sender else ""
        who = None
        if decision.side is not None and sender and not internal:
            who = MailComment("", decision.key, sender, decision.side)
        self.writer.comment(job.record, decision.key,
                            c.comment_body(mail.sender, job.found, job.content),
                            internal=internal, sender=who)
        self._uploads(job, decision.key)

    def _uploads(self, job: Job, key: str) -> None:
        if job.content.oversized:
            limit = self.rules.config.mappings.mailbox.max_attachment_size
            self.writer.note(job.record, key, c.oversized_note(job.content.oversized, limit))
        self.writer.upload(job.record, key, job.content.uploads)
