"""A tracker for `--dry-run`: reads go to the real one, writes are only written down."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from connector.tracker.base import SupportsNotify, TicketRefs, Tracker
from connector.tracker.feed import Change, FeedPage
from connector.tracker.values import (
    Attachment,
    Comment,
    NewTicket,
    Person,
    TrackedTicket,
    WorkflowFields,
)


class RecordingTracker:
    """Wraps a Tracker; every write becomes a line in `writes`, in the workflow's words, and
    changes nothing."""

    def __init__(self, inner: Tracker) -> None:
        self.inner = inner
        self.writes: list[str] = []

    @property
    def refs(self) -> TicketRefs:
        return self.inner.refs

    # reads: straight through
    def changes(self, bookmark: str | None, *, now: datetime) -> Iterator[FeedPage]:
        return self.inner.changes(bookmark, now=now)

    def count_open(self) -> int:
        return self.inner.count_open()

    def ticket(self, key: str) -> TrackedTicket:
        return self.inner.ticket(key)

    def comments(self, key: str) -> list[Comment]:
        return self.inner.comments(key)

    def history(self, key: str) -> list[Change]:
        return self.inner.history(key)

    def attachments(self, key: str) -> list[str]:
        return self.inner.attachments(key)

    def find_by_mail_marker(self, marker: str) -> str | None:
        return self.inner.find_by_mail_marker(marker)

    def myself(self) -> Person:
        return self.inner.myself()

    def find_person(self, identity: str, *, project: str | None = None) -> Person | None:
        return self.inner.find_person(identity, project=project)

    # writes: recorded only
    def create(self, ticket: NewTicket) -> str:
        raise NotImplementedError("dry run cannot create tickets")  # mail intake skips in dry run

    def update(self, key: str, fields: WorkflowFields, *, restart_status: bool = False) -> None:
        given = fields.given()
        named = sorted(name for name in given if name not in ("assignee", "status"))
        if named:
            self.writes.append(f"would set {', '.join(named)} on {key}")
        if "assignee" in given:
            person: Person | None = given["assignee"]
            who = (person.display_name or person.ref) if person else "nobody"
            self.writes.append(f"would assign {key} to {who}")
        if "status" in given:
            again = " (again)" if restart_status else ""
            self.writes.append(f"would move {key} to {given['status']}{again}")

    def add_comment(self, key: str, body: str, *, public: bool) -> Comment:
        self.writes.append(f"would add {'a public' if public else 'an internal'} comment "
                           f"to {key}")
        return Comment("dry-run", datetime.min, None, body, public)

    def attach(self, key: str, attachment: Attachment) -> None:
        self.writes.append(f"would attach {attachment.filename} to {key}")

    def relate(self, key: str, other: str) -> None:
        self.writes.append(f"would link {key} to {other}")

    def notify(self, key: str, *, subject: str, text_body: str, html_body: str | None,
               people: Sequence[Person]) -> None:
        self.writes.append(f"would notify {len(people)} people about {key}")


if TYPE_CHECKING:  # mypy proves the recorder offers the protocol and the notify capability

    def _is_a_tracker(recorder: RecordingTracker) -> Tracker:
        return recorder

    def _notifies(recorder: RecordingTracker) -> SupportsNotify:
        return recorder
