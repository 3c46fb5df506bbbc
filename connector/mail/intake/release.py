"""Quarantined mail put back for the next pass (`ticketflow mail release`), safe to repeat.

A release first forgets the mail's outcome, then moves it back to the inbox: a pass that
reads it in between handles it anew instead of finding it quarantined. Run again, it finds
the outcome forgotten and the mail no longer in Quarantine, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.errors import UsageError
from connector.mail.intake.base import Mailbox
from connector.state.intake import IntakeStore, MailRecord


@dataclass(frozen=True)
class Released:
    """One mail released: whether its outcome was forgotten and it was moved back now."""

    record: MailRecord
    forgotten: bool  # False: released before (its outcome was already forgotten)
    moved: bool  # False: it was not in the Quarantine folder

    def __str__(self) -> str:
        what = self.record.message_id or self.record.mail_key
        if self.moved:
            return f"mail {self.record.number} {what}: back in the inbox for the next pass"
        if self.forgotten:
            return (f"mail {self.record.number} {what}: released, but it is not in the "
                    "Quarantine folder (moved by hand?); put it in the inbox and the next "
                    "pass handles it anew")
        return f"mail {self.record.number} {what}: released already, nothing to do"


def releasable(intake: IntakeStore, handle: str | None) -> list[MailRecord]:
    """The mail `handle` names (its number or Message-ID), or with None every quarantined
    mail and every released one the mailbox has not given back yet."""
    if handle is None:
        pending = [r for r in intake.waiting(limit=10_000) if r.released_at is not None]
        return [*intake.quarantined(limit=10_000), *pending]
    record = intake.by_handle(handle)
    if record is None:
        raise UsageError(f"no mail {handle} in the state file; `ticketflow mail list` lists "
                         "quarantined mail with its number")
    if record.outcome != "quarantine" and record.released_at is None:
        raise UsageError(f"mail {handle} is not in quarantine ({record.outcome or 'waiting'})")
    return [record]


def release(intake: IntakeStore, mailbox: Mailbox, records: Sequence[MailRecord], *,
            at: datetime) -> list[Released]:
    """Forget each mail's outcome, then move it back to the inbox."""
    done = []
    for record in records:
        forgotten = intake.release(record.mail_key, at=at)
        moved = mailbox.restore(ref=record.ref, message_id=record.message_id,
                                key=record.mail_key)
        done.append(Released(record, forgotten, moved))
    return done
