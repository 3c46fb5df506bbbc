"""What a mail does in the tracker, each write fenced by milestones so a crash never doubles it.

Before a write a milestone says it is about to happen ("creating", "commenting"); after it,
what it produced ("created" with the key, "commented" with the comment id). A message resumed
with only the first looks in the tracker for what the write may have left: the ticket by its
marker `tf-mail-<hash>` (Jira keeps it as a label: Jira Cloud cannot search issue properties
set by an API-token user, labels it can; Zendesk as the external id), a comment by the same
marker at the end of its first line, `From: Pat <pat@...> (by email, ref tf-mail-<hash>)`.
The marker is in the text because any comment list shows text, on Jira (which documents only
`renderedBody` for a comment list's `expand`, so comment properties cannot be relied on
there) as on Zendesk (whose comments have no properties), at no extra request; and never text
alone, since two replies may say the same ("Thanks!") and the second must not be taken for
the first.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from connector.errors import NotDoneError, RetriableError, TrackerError
from connector.mail.intake.parts import Attachment
from connector.state.intake import IntakeStore, MailComment, MailRecord
from connector.tracker.base import Tracker
from connector.tracker.values import Attachment as Upload
from connector.tracker.values import MailOrigin, NewTicket, WorkflowFields

log = logging.getLogger(__name__)
MARKER_PREFIX = "tf-mail-"


# When a marker search that misses a create whose answer was lost is believed: on the second
# pass that looks (a pass apart: a minute under `run`, five under cron) or ten minutes on,
# beyond the tracker's request processing and its search's indexing delay (Jira: seconds).
# Passes, not only time, so a cycle rerun at one simulated instant (`once --now`) gets on.
LOOKUPS_BEFORE_RECREATE = 2
RECREATE_AFTER = timedelta(minutes=10)


class UnsettledCreateError(RetriableError):
    """The mail's create may still appear in the tracker: the pass stops here, uncounted, so
    later mail does not become tickets before this one (as when the tracker is unavailable)."""


def mail_marker(mail_key: str) -> str:
    """The marker that finds a mail's ticket again: 12 hex digits of the key's SHA-256."""
    return MARKER_PREFIX + hashlib.sha256(mail_key.encode("utf-8", "replace")).hexdigest()[:12]


def stamped(body: str, marker: str) -> str:
    """`body` with `ref <marker>` closing its first line: inside the line's final
    parentheses when it ends with one (`(by email, ref tf-mail-...)`), else appended."""
    first, newline, rest = body.partition("\n")
    first = first.rstrip()
    closing = first.endswith(")")
    first = f"{first[:-1]}, ref {marker})" if closing else f"{first} (ref {marker})"
    return first + newline + rest


def carries(body: str, marker: str) -> bool:
    """Whether a comment's first line ends with this marker (a sender's name, which comes
    before the address, cannot reach the end of the line)."""
    return body.partition("\n")[0].rstrip().endswith(f"ref {marker})")


class TicketWriter:
    """Creates tickets, comments, links and uploads for one mail, resumably."""

    def __init__(self, tracker: Tracker, intake: IntakeStore) -> None:
        self.tracker = tracker
        self.intake = intake

    def _fresh(self, record: MailRecord) -> MailRecord:
        found = self.intake.record(record.mail_key)
        assert found is not None
        return found

    def create(self, record: MailRecord, *, summary: str, description: str,
               customer: str | None, labels: Sequence[str], follows: str | None,
               now: datetime, project: str | None = None) -> str:
        """The mail's ticket: the one already made (found again after a crash or a lost
        answer), else a new one in `project` (None: the default one)."""
        record = self._fresh(record)
        if record.issue_key and record.reached("created"):
            return record.issue_key
        marker = mail_marker(record.mail_key)
        key = self._created_before(record, marker, now) if record.reached("creating") else None
        if key is None:
            self.intake.mark(record.mail_key, "sought:0")
            self.intake.mark(record.mail_key, "creating", sent_at=now)
            fields = WorkflowFields(customer=customer) if customer else WorkflowFields()
            try:
                key = self.tracker.create(NewTicket(
                    summary, description, fields, labels=tuple(labels), follows=follows,
                    mail=MailOrigin(marker, record.mail_key, record.message_id),
                    project=project))
            except (TrackerError, NotDoneError):
                self.intake.settled(record.mail_key)  # refused: nothing was made to wait for
                raise
        self.intake.mark(record.mail_key, "created", issue_key=key)
        return key

    def _created_before(self, record: MailRecord, marker: str, now: datetime) -> str | None:
        """The ticket a create sent before made, found by its marker; None when there is
        none and enough passes or time have gone by to be sure. A create that outlived the
        read timeout may still be running in the tracker, and Jira Cloud's search is
        eventually consistent (an issue made seconds ago may not match JQL yet): the first
        miss after a lost answer postpones the mail rather than risk a second ticket."""
        found = self.tracker.find_by_mail_marker(marker)
        if found is not None:
            log.info("found %s, created for this mail before its answer was lost", found,
                     extra={"ticket": found})
            return found
        missed = record.count("sought") + 1
        self.intake.mark(record.mail_key, f"sought:{missed}")
        sent = record.write_sent_at
        if sent is not None and missed < LOOKUPS_BEFORE_RECREATE and now - sent < RECREATE_AFTER:
            raise UnsettledCreateError(
                f"a ticket for this mail was requested at {sent.isoformat(timespec='seconds')}"
                " and its answer never came; the tracker may still be making it, so it is "
                "looked for again on the next pass before another is made")
        return None

    def comment(self, record: MailRecord, key: str, body: str, *, internal: bool,
                sender: MailComment | None = None) -> str:
        """The mail's comment on `key`: the one already posted, else a new one. `sender`
        (when a person's mail) is recorded with it, so the poller knows who wrote it."""
        record = self._fresh(record)
        if record.comment_id and record.reached("commented"):
            return record.comment_id
        marker = mail_marker(record.mail_key)
        comment_id = self._posted(key, marker) if record.reached("commenting") else None
        if comment_id is None:
            self.intake.mark(record.mail_key, "commenting", issue_key=key)
            comment_id = self.tracker.add_comment(key, stamped(body, marker),
                                                  public=not internal).id
        mail_comment = None
        if sender is not None:
            mail_comment = MailComment(comment_id, key, sender.sender, sender.side)
        self.intake.mark(record.mail_key, "commented", comment_id=comment_id,
                         comment=mail_comment)
        return comment_id

    def note(self, record: MailRecord, key: str, body: str) -> None:
        """The mail's one extra internal comment (attachments too large to upload), once."""
        record = self._fresh(record)
        if record.reached("noted"):
            return
        marker = mail_marker(record.mail_key) + "-note"
        if not (record.reached("noting") and self._posted(key, marker)):
            self.intake.mark(record.mail_key, "noting")
            self.tracker.add_comment(key, stamped(body, marker), public=False)
        self.intake.mark(record.mail_key, "noted")

    def _posted(self, key: str, marker: str) -> str | None:
        """The id of ticketflow's comment on `key` that carries `marker`, if it was posted."""
        me = self.tracker.myself().ref
        return next((c.id for c in reversed(self.tracker.comments(key))
                     if c.author is not None and c.author.ref == me
                     and carries(c.body, marker)), None)

    def link(self, record: MailRecord, new: str, old: str) -> None:
        """Record once that a new ticket follows up (or concerns) an older one."""
        record = self._fresh(record)
        if record.reached("linked"):
            return
        self.tracker.relate(new, old)
        self.intake.mark(record.mail_key, "linked")

    def reopen(self, record: MailRecord, key: str, status: str) -> None:
        """Move a completed ticket back (a status already reached is not moved again)."""
        record = self._fresh(record)
        if record.reached("reopened"):
            return
        self.tracker.update(key, WorkflowFields(status=status))
        self.intake.mark(record.mail_key, "reopened")

    def upload(self, record: MailRecord, key: str, files: Sequence[Attachment]) -> None:
        """Upload the files not uploaded before a crash, counting as it goes. A crash during
        an upload is settled by the files the ticket lists."""
        record = self._fresh(record)
        done, trying = record.count("attached"), record.count("attaching")
        for number, item in enumerate(files, start=1):
            if number <= done:
                continue
            if number != trying or item.filename not in self.tracker.attachments(key):
                self.intake.mark(record.mail_key, f"attaching:{number}")
                self.tracker.attach(key, Upload(item.filename, item.content, item.content_type))
            self.intake.mark(record.mail_key, f"attached:{number}")
