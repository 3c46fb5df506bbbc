"""Events: what happened to a ticket (from its changelog, comments or the passing of time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

EventKind = Literal["created", "status_changed", "assigned", "commented", "field_changed",
                    "schedule"]


@dataclass(frozen=True)
class Event:
    """One thing that happened to a ticket, in workflow terms.

    `trigger` identifies the occurrence so its effects happen once: a changelog id, a comment
    id, `created`, or for `schedule` the ticket's entry into its current status.
    `own` marks changes ticketflow made itself (they trigger only rules that opt in).
    """

    kind: EventKind
    issue_id: str
    issue_key: str
    at: datetime
    trigger: str
    from_status: str | None = None
    to_status: str | None = None
    field: str | None = None
    by: Literal["customer", "staff"] | None = None
    own: bool = False

    def describe(self) -> str:
        """A short human line for timelines and explanations."""
        if self.kind == "status_changed":
            return f"status {self.from_status} -> {self.to_status}"
        if self.kind == "commented":
            return f"comment by {self.by}"
        if self.kind == "field_changed":
            return f"{self.field} changed"
        return self.kind


def schedule_event(issue_id: str, issue_key: str, status: str, status_since: datetime,
                   now: datetime) -> Event:
    """The time-passing event of an open ticket: keyed by its entry into the current status,
    so a time rule fires at most once per stay in a status."""
    return Event(kind="schedule", issue_id=issue_id, issue_key=issue_key, at=now,
                 trigger=f"in {status} since {status_since.isoformat()}")
