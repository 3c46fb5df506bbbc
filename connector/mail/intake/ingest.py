"""Mail intake, one pass: read, dedupe, classify, gather the facts, decide, act, commit, move.

Every message read ends as a ticket, a comment, or a quarantine entry with its reason; none
raises out of the pass. What to do is `decide.py`'s (no I/O); this module reads the mailbox,
has the facts gathered (`facts.py`) and the decision carried out (`perform.py`), and commits.
A message is moved out of the inbox only after its outcome is committed, and a message read
again (a second delivery, a crash before the move) finds its outcome and is only moved. The
tracker unavailable (down, rate limits, refusing our credentials) leaves the message for the
next pass however long it lasts; only the tracker refusing the mail itself counts, and after
`MAX_ATTEMPTS` such refusals the mail is quarantined with the last one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from connector.engine.calendar import BusinessCalendar
from connector.errors import AuthError, RetriableError, TicketflowError, TrackerError
from connector.mail.intake.base import Destination, Mailbox, RawMail
from connector.mail.intake.classify import Classification
from connector.mail.intake.classify import classify as classify_mail
from connector.mail.intake.decide import decide, participants
from connector.mail.intake.facts import Facts
from connector.mail.intake.parse import parse
from connector.mail.intake.perform import Job, Performer
from connector.mail.intake.rules import IntakeRules
from connector.mail.intake.writer import TicketWriter
from connector.state.intake import IntakeStore, Outcome
from connector.state.store import SqlStateStore
from connector.tracker.base import Tracker

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


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


_COUNTERS = {"ticket": "tickets", "comment": "comments", "quarantine": "quarantined",
             "duplicate": "duplicates"}


class Postponed(Exception):  # noqa: N818 - a signal, not an error
    """Handle this message at the end of the batch (it replies to mail not seen yet)."""


class Deferred(Exception):  # noqa: N818 - a signal to leave the mail for the next pass
    """Leave this message in the inbox; a later pass tries again."""


STOPPED_EARLY = ("stopped early: the tracker was unavailable; the rest of the mail waits for "
                 "the next pass")


class Interrupted(Deferred):
    """The tracker is unavailable: leave this mail and every later one for the next pass."""


def refuses_the_mail(error: RetriableError | TrackerError) -> bool:
    """A refusal about this mail's request (400 for a field, 404 for a ticket gone, 413 for a
    file): not of our credentials (AuthError: 401, or 403 for the account) and not the
    tracker giving up waiting (408)."""
    return (isinstance(error, TrackerError) and not isinstance(error, AuthError)
            and error.status != 408)


class Ingest:
    """One callable per service: `ingest(now)` reads the mailbox once (the cycle's first step)."""

    def __init__(self, *, tracker: Tracker, store: SqlStateStore, rules: IntakeRules,
                 calendar: BusinessCalendar, open_mailbox: Callable[[], Mailbox]) -> None:
        self.tracker = tracker
        self.store = store
        self.rules = rules
        self.calendar = calendar
        self.open_mailbox = open_mailbox
        self.intake = IntakeStore(store.db)
        self.facts = Facts(tracker=tracker, store=store, intake=self.intake, rules=rules)
        self.performer = Performer(writer=TicketWriter(tracker, self.intake), store=store,
                                   rules=rules)

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
        """Handle one message; False when the pass must stop (the tracker is unavailable)."""
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
        if wait and self.facts.orphan(mail, found):
            raise Postponed
        record = self.intake.begin(
            key, message_id=mail.message_id, mailbox=mailbox, ref=raw.ref, kind=found.kind,
            sender=mail.sender.address if mail.sender else None, automatic=found.automatic,
            at=now)
        job = Job(mail, raw, found, record, now)
        try:
            return self._act(job)
        except (RetriableError, TrackerError) as error:
            return self._trouble(job, error)
        except Exception as error:
            # No mail may crash the cycle: whatever went wrong is the quarantine's reason.
            log.exception("mail could not be handled; quarantined")
            return self._quarantine(job, f"could not be handled: {type(error).__name__}: "
                                    f"{error}"[:500])

    def _trouble(self, job: Job, error: RetriableError | TrackerError) -> Handled:
        """Only the tracker's refusal of the mail itself counts as an attempt, and after
        MAX_ATTEMPTS of those the mail is quarantined. The tracker unavailable (5xx, 429, no
        connection, an answer that is not the tracker's, a create whose answer was lost and may
        still appear) or refusing our credentials postpones it without counting, however
        long that lasts: none of that says anything about the mail."""
        key = job.record.mail_key
        if not refuses_the_mail(error):
            self.intake.postponed(key, str(error))
            if isinstance(error, AuthError):
                raise error
            log.warning("mail left for the next pass (the tracker unavailable; not counted as an "
                        "attempt): %s", error)
            # Stop the pass, so mail becomes tickets in the order it arrived whatever the tracker's
            # hiccups (keys and least-loaded picks follow that order).
            raise Interrupted from error
        record = self.intake.refused(key, str(error))
        if record.attempts >= MAX_ATTEMPTS:
            return self._quarantine(job, f"the tracker refused it {record.attempts} times; "
                                    f"the last time: {error}")
        log.warning("mail left for the next pass (refused %d of %d times): %s",
                    record.attempts, MAX_ATTEMPTS, error)
        raise Deferred from error  # a mail the tracker refuses waits alone and blocks nobody

    # -- acting ------------------------------------------------------------------------

    def _act(self, job: Job) -> Handled:
        decision = decide(job.mail, job.found, self.facts.candidates(job.mail),
                          rules=self.rules, calendar=self.calendar, now=job.now,
                          bounce_key=self.facts.bounce_key(job.mail, job.found))
        done = self.performer.perform(job, decision)
        if done.outcome == "quarantine":
            return self._quarantine(job, done.why)
        return self._finish(job, done.outcome, done.key or "", done.why)

    def _finish(self, job: Job, outcome: Outcome, key: str, why: str) -> Handled:
        mail = job.mail
        self.intake.finish(job.record.mail_key, outcome=outcome, at=job.now, issue_key=key,
                           message_ids=[mail.message_id] if mail.message_id else [],
                           participants=participants(mail, self.rules))
        sender = mail.sender.address if mail.sender else "an unknown sender"
        log.info("%s %s from %s (%s)", "new ticket" if outcome == "ticket" else "comment on",
                 key, sender, why, extra={"ticket": key})
        return Handled(job.record.mail_key, outcome, "processed", key)

    def _quarantine(self, job: Job, reason: str) -> Handled:
        record = self.intake.record(job.record.mail_key) or job.record
        self.intake.finish(record.mail_key, outcome="quarantine", at=job.now, reason=reason)
        log.warning("quarantined: %s", reason, extra={"ticket": record.issue_key})
        return Handled(record.mail_key, "quarantine", "quarantine", record.issue_key)
