"""Mail intake, one pass: read, dedupe, classify, thread, act on the tracker, commit, move.

Every message read ends as a ticket, a comment, or a quarantine entry with its reason; none
raises out of the pass. A message is moved out of the inbox only after its outcome is
committed, and a message read again (a second delivery, a crash before the move) finds its
outcome and is only moved. Tracker trouble (Jira down, rate limits) leaves the message for
the next pass; after `MAX_ATTEMPTS` passes it is quarantined with the last error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from connector.domain import Issue
from connector.engine.calendar import BusinessCalendar
from connector.errors import AuthError, RetriableError, TicketflowError, TrackerError
from connector.mail.intake import content as c
from connector.mail.intake.base import Destination, Mailbox, RawMail
from connector.mail.intake.classify import Classification, bounce_details
from connector.mail.intake.classify import classify as classify_mail
from connector.mail.intake.parse import ParsedMail, parse
from connector.mail.intake.rules import IntakeRules, customer_address
from connector.mail.intake.thread import Match, authorised, find, id_variants, is_forward
from connector.mail.intake.writer import AUTO_LABEL, TicketWriter
from connector.state.intake import IntakeStore, MailComment, MailRecord, Outcome
from connector.state.sqlite import SqliteStateStore
from connector.sync.derive import last_status_entry
from connector.tracker.base import Tracker
from connector.tracker.jira.fields import FieldCodec

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BOUNCE_PAUSE = timedelta(days=60)  # as Zammad blocks trigger mail to a failed address


@dataclass
class IngestReport:
    """Counts of one pass."""

    read: int = 0
    tickets: int = 0
    comments: int = 0
    quarantined: int = 0
    duplicates: int = 0
    deferred: int = 0
    error: str = ""


@dataclass(frozen=True)
class Handled:
    """How one message ended, and where it goes now."""

    key: str
    outcome: Outcome | Literal["duplicate"]
    destination: Destination
    issue_key: str | None = None


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


_COUNTERS = {"ticket": "tickets", "comment": "comments", "quarantine": "quarantined",
             "duplicate": "duplicates"}


class Postponed(Exception):  # noqa: N818 - a signal, not an error
    """Handle this message at the end of the batch (it replies to mail not seen yet)."""


class Deferred(Exception):  # noqa: N818 - a signal to leave the mail for the next pass
    """Leave this message in the inbox; a later pass tries again."""


STOPPED_EARLY = "stopped early: Jira was unavailable; the rest of the mail waits for the next pass"


class Interrupted(Deferred):
    """Jira is unavailable: leave this mail and every later one for the next pass."""


class Ingest:
    """One callable per service: `ingest(now)` reads the mailbox once (the cycle's first step)."""

    def __init__(self, *, tracker: Tracker, store: SqliteStateStore, rules: IntakeRules,
                 codec: FieldCodec, calendar: BusinessCalendar,
                 open_mailbox: Callable[[], Mailbox]) -> None:
        self.tracker = tracker
        self.store = store
        self.rules = rules
        self.codec = codec
        self.calendar = calendar
        self.open_mailbox = open_mailbox
        self.intake = IntakeStore(store.db)
        self.writer = TicketWriter(tracker, self.intake, project=rules.project,
                                   issue_type=rules.issue_type)

    def __call__(self, now: datetime) -> IngestReport:
        report = IngestReport()
        try:
            mailbox = self.open_mailbox()
        except AuthError:
            raise
        except (TicketflowError, OSError) as error:
            report.error = f"mailbox not read: {error}"
            log.error("mail intake: %s", report.error)  # noqa: TRY400 - the reason is the story
            return report
        try:
            self._pass(mailbox, now, report)
        except AuthError:
            raise
        except (TicketflowError, OSError) as error:
            report.error = f"mailbox read stopped: {error}"
            log.error("mail intake: %s", report.error)  # noqa: TRY400
        finally:
            mailbox.close()
        return report

    def _pass(self, mailbox: Mailbox, now: datetime, report: IngestReport) -> None:
        """Every message once; a reply whose parent is not known yet waits for the end of the
        batch (its parent may be later in it: mail does not always arrive in order)."""
        waiting: list[RawMail] = []
        for raw in mailbox.fetch():
            report.read += 1
            if not self._one(mailbox, raw, now, report, waiting):
                report.error = STOPPED_EARLY  # the rest keeps its order for the next pass
                return
        for raw in waiting:
            if not self._one(mailbox, raw, now, report, None):
                report.error = STOPPED_EARLY
                return

    def _one(self, mailbox: Mailbox, raw: RawMail, now: datetime, report: IngestReport,
             waiting: list[RawMail] | None) -> bool:
        """Handle one message; False when the pass must stop (Jira is unavailable)."""
        try:
            handled = self.handle(raw, now, mailbox.name, wait=waiting is not None)
        except Interrupted:
            report.deferred += 1
            return False
        except Deferred:
            report.deferred += 1
            return True
        except Postponed:
            assert waiting is not None
            waiting.append(raw)
            return True
        counter = _COUNTERS[handled.outcome]
        setattr(report, counter, getattr(report, counter) + 1)
        mailbox.settle(raw, handled.destination, key=handled.key)
        return True

    def handle(self, raw: RawMail, now: datetime, mailbox: str, *, wait: bool = False
               ) -> Handled:
        """One message to its committed outcome (or Deferred; with `wait`, Postponed when it
        replies to mail not seen yet)."""
        mail = parse(raw.data, received=raw.received)
        key = mail.key
        known = self.intake.record(key)
        if known is not None and known.done:
            log.info("mail already handled (%s, %s): moved only", known.outcome,
                     known.issue_key or "-", extra={"ticket": known.issue_key})
            where: Destination = "quarantine" if known.outcome == "quarantine" else "processed"
            return Handled(key, "duplicate", where, known.issue_key)
        try:
            found = classify_mail(mail, self.rules.signals, sent_by_us=self.intake.sent_by_us)
        except Exception as error:  # a classifier bug must not stop the pass either
            log.exception("mail could not be classified")
            found = Classification("ordinary", f"unclassified ({type(error).__name__})")
        if wait and self._orphan(mail, found):
            raise Postponed
        record = self.intake.begin(
            key, message_id=mail.message_id, mailbox=mailbox, ref=raw.ref, kind=found.kind,
            sender=mail.sender.address if mail.sender else None, automatic=found.automatic,
            at=now)
        job = Job(mail, raw, found, record, now)
        if record.attempts > MAX_ATTEMPTS:
            return self._quarantine(job, f"gave up after {MAX_ATTEMPTS} attempts")
        try:
            return self._act(job)
        except AuthError:
            raise
        except (RetriableError, TrackerError) as error:
            if isinstance(error, TrackerError) and record.attempts >= MAX_ATTEMPTS:
                return self._quarantine(job, f"the tracker refused it: {error}")
            log.warning("mail left for the next pass (attempt %d): %s", record.attempts, error)
            # Jira unavailable (RetriableError): stop the pass, so mail becomes tickets in the
            # order it arrived whatever Jira's hiccups (keys and least-loaded picks follow that
            # order). A mail Jira refuses (TrackerError) waits alone and blocks nobody.
            raise (Interrupted if isinstance(error, RetriableError) else Deferred) from error
        except Exception as error:
            # No mail may crash the cycle: whatever went wrong is the quarantine's reason.
            log.exception("mail could not be handled; quarantined")
            return self._quarantine(job, f"could not be handled: {type(error).__name__}: "
                                    f"{error}"[:500])

    # -- deciding ----------------------------------------------------------------------

    def _orphan(self, mail: ParsedMail, found: Classification) -> bool:
        """A reply (or a bounce) to mail we do not know: maybe its parent comes later in the
        batch. Only stored ids are consulted, so this costs no tracker request."""
        ids = [*mail.in_reply_to, *mail.references]
        if found.kind == "bounce":
            ids += bounce_details(mail).original_ids
        if not ids or found.kind == "own":
            return False
        known = self.store.issue_for_message_ids
        return not find(mail, project=self.rules.project, domain=self.rules.signals.own_domain,
                        known=known) and not (found.kind == "bounce" and known(id_variants(ids)))

    def _act(self, job: Job) -> Handled:
        found, mail = job.found, job.mail
        if found.kind == "own":
            return self._quarantine(job, f"our own mail came back ({found.reason}); not "
                                    "processed, so no mail loop")
        if found.kind == "bounce":
            return self._bounce(job)
        issue, refused = self._thread(mail)
        limits = self.rules.config.mappings.mailbox
        job.body = c.content(mail, job.raw, max_attachment=limits.max_attachment_size,
                             max_message=limits.max_message_size, reply=issue is not None)
        if found.kind == "auto_reply":
            if issue is None:
                return self._quarantine(job, f"an automatic reply ({found.reason}) to no known "
                                        "ticket")
            text = c.automatic_reply_body(mail, mail.sender, found, job.body)
            self.writer.comment(job.record, issue.key, text, internal=True)
            return self._finish(job, "comment", issue.key, found.reason)
        if issue is None:
            return self._new_ticket(job, related=refused)
        if found.automatic:  # automatic mail on a ticket: a note that changes nothing
            self._comment(job, issue.key, internal=True)
            return self._finish(job, "comment", issue.key, found.reason)
        if issue.status.lower() in self.rules.done_statuses:
            return self._reply_to_done(job, issue)
        self._comment(job, issue.key, internal=False)
        return self._finish(job, "comment", issue.key, "reply")

    def _thread(self, mail: ParsedMail) -> tuple[Issue | None, str | None]:
        """The ticket the mail belongs to, and a ticket it named but may not join (a forward,
        an unauthorised sender) to link from a new one."""
        sender = mail.sender.address if mail.sender else None
        forward = is_forward(mail.subject) and sender not in self.rules.staff
        refused = None
        for match in find(mail, project=self.rules.project, domain=self.rules.signals.own_domain,
                          known=self.store.issue_for_message_ids):
            issue = self._issue(match)
            if issue is None:
                continue
            if forward or not (match.trusted or self._may_join(sender, issue)):
                refused = refused or issue.key
                log.info("mail names %s (%s) but %s; a new ticket instead", issue.key,
                         match.how, "is a forward" if forward else f"{sender} is not on it")
                continue
            return issue, None
        return None, refused

    def _issue(self, match: Match) -> Issue | None:
        try:
            return self.tracker.get_issue(match.key)
        except TrackerError as error:
            if error.status == 404:
                return None  # deleted, moved, or a key that never existed
            raise

    def _may_join(self, sender: str | None, issue: Issue) -> bool:
        return authorised(sender, customer=self.codec.read(issue).customer_email,
                          participants=self.intake.participants(issue.key),
                          staff=set(self.rules.staff))

    # -- acting ------------------------------------------------------------------------

    def _new_ticket(self, job: Job, *, related: str | None = None,
                    follows: str | None = None) -> Handled:
        mail, found, body = job.mail, job.found, job.content
        customer = None if found.automatic else customer_address(mail, self.rules.signals)
        fields = self.codec.updates(None, customer_email=customer) if customer else {}
        text = c.description(mail, mail.sender, found, body, follows=follows)
        if related and not follows:
            text += (f"\n\nNote: the mail names {related}, but was not added there (a "
                     "forward, or the sender is not on that ticket).")
        key = self.writer.create(job.record, summary=c.summary(mail, mail.sender),
                                 description=text, fields=fields,
                                 labels=[AUTO_LABEL] if found.automatic else [])
        if follows or related:
            self.writer.link(job.record, key, follows or related or "")
        self._uploads(job, key)
        return self._finish(job, "ticket", key, found.reason)

    def _comment(self, job: Job, key: str, *, internal: bool) -> None:
        sender = job.mail.sender.address if job.mail.sender else ""
        side: Literal["customer", "staff"] = "staff" if sender in self.rules.staff else "customer"
        who = None if internal or not sender else MailComment("", key, sender, side)
        self.writer.comment(job.record, key, c.comment_body(job.mail.sender, job.found,
                                                            job.content),
                            internal=internal, sender=who)
        self._uploads(job, key)

    def _uploads(self, job: Job, key: str) -> None:
        if job.content.oversized:
            limit = self.rules.config.mappings.mailbox.max_attachment_size
            self.writer.note(job.record, key, "noted",
                             c.oversized_note(job.content.oversized, limit))
        self.writer.upload(job.record, key, job.content.uploads)

    def _reply_to_done(self, job: Job, issue: Issue) -> Handled:
        """Within the reopen window: a comment and back to work; after it: a new ticket
        linked to the completed one."""
        window = self.rules.config.mappings.mailbox.reopen_window
        until = self.calendar.add(self._completed_at(issue), window)
        target = self.rules.reopen_status(issue.status)
        if job.now > until or target is None:
            return self._new_ticket(job, follows=issue.key)
        self._comment(job, issue.key, internal=False)
        self.writer.reopen(job.record, issue.key, target)
        return self._finish(job, "comment", issue.key, "reply reopened it")

    def _completed_at(self, issue: Issue) -> datetime:
        ticket = self.store.ticket_by_key(issue.key)
        jira = self.rules.config.mappings.statuses
        if ticket is not None and jira.get(ticket.status, "").lower() == issue.status.lower():
            return ticket.status_since
        history = self.tracker.changelogs([issue.id]).get(issue.id, [])
        return last_status_entry(history) or issue.updated

    def _bounce(self, job: Job) -> Handled:
        details = bounce_details(job.mail)
        paused = None
        if details.permanent:
            paused = job.now + BOUNCE_PAUSE
            reason = f"bounced: {details.status or 'failed'} {details.diagnostic}".strip()[:200]
            for address in details.recipients:
                self.store.suppress(address, reason=reason, until=paused, at=job.now)
        ids = id_variants(details.original_ids)
        key = self.store.issue_for_message_ids(ids) if ids else None
        if key is None:
            return self._quarantine(job, "a bounce for no known ticket (recipients: "
                                    f"{', '.join(details.recipients) or 'unknown'})")
        self.writer.comment(job.record, key, c.bounce_body(details, paused_until=paused),
                            internal=True)
        return self._finish(job, "comment", key, "bounce")

    def _finish(self, job: Job, outcome: Outcome, key: str, why: str) -> Handled:
        mail = job.mail
        people = [p for p in (mail.sender, mail.reply_to, *mail.to, *mail.cc) if p]
        own = self.rules.signals.own_addresses
        self.intake.finish(job.record.mail_key, outcome=outcome, at=job.now, issue_key=key,
                           message_ids=[mail.message_id] if mail.message_id else [],
                           participants=[p.address for p in people if p.address not in own])
        sender = mail.sender.address if mail.sender else "an unknown sender"
        log.info("%s %s from %s (%s)", "new ticket" if outcome == "ticket" else "comment on",
                 key, sender, why, extra={"ticket": key})
        return Handled(job.record.mail_key, outcome, "processed", key)

    def _quarantine(self, job: Job, reason: str) -> Handled:
        record = self.intake.record(job.record.mail_key) or job.record
        self.intake.finish(record.mail_key, outcome="quarantine", at=job.now, reason=reason)
        log.warning("quarantined: %s", reason, extra={"ticket": record.issue_key})
        return Handled(record.mail_key, "quarantine", "quarantine", record.issue_key)
