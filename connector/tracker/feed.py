"""The change feed: what changed on which tickets since a bookmark the adapter owns.

The core keeps the bookmark as opaque text, advances it in the transaction that records a
page's effects, and de-duplicates changes and comments by id (a feed may repeat them: Jira's
overlap window does). The adapter turns its history (Jira's changelog, Zendesk's audits) into
`ChangeItem`s in the workflow's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from connector.tracker.values import Comment, Person, TrackedTicket

# status: a workflow status (from/to are workflow names); assignee: the person changed;
# tier, category: the workflow's values; field: any other field, named by the tracker.
ChangeKind = Literal["status", "assignee", "tier", "category", "field"]


@dataclass(frozen=True)
class ChangeItem:
    """One thing a change did. For `field`, `field` names the tracker's field (`priority`,
    `labels`, `attachment`); `before` and `after` are the values as text (a file's name for
    an attachment), None when empty."""

    kind: ChangeKind
    field: str = ""
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class Change:
    """One entry of a ticket's history: who changed what, when (on the tracker's clock)."""

    id: str
    at: datetime
    author: Person | None
    items: tuple[ChangeItem, ...]


@dataclass(frozen=True)
class TicketChanges:
    """A ticket as it is now and its history: at least every change since the bookmark,
    oldest first (Jira gives all of it)."""

    ticket: TrackedTicket
    changes: tuple[Change, ...] = ()

    @property
    def comments(self) -> tuple[Comment, ...]:
        """The comments the read brought (see `TrackedTicket.comments_complete`)."""
        return self.ticket.comments


@dataclass(frozen=True)
class FeedPage:
    """Tickets changed since the bookmark, in the tracker's order. `bookmark` is where the
    next call starts once this page's effects are recorded (None: this page moves it not,
    as during a backfill). `baseline`, on the page that ends a backfill, is the instant (on
    the tracker's clock, as `TrackedTicket.created`) from which a ticket is new."""

    tickets: tuple[TicketChanges, ...]
    bookmark: str | None
    baseline: datetime | None = None


def field_change(name: str, before: str | None, after: str | None) -> ChangeItem:
    """A change of the workflow field `name`: tier and category are kinds of their own, the
    customer and satisfaction are fields by those names."""
    if name == "tier":
        return ChangeItem("tier", before=before, after=after)
    if name == "category":
        return ChangeItem("category", before=before, after=after)
    return ChangeItem("field", name, before, after)


def last_status_entry(changes: tuple[Change, ...] | list[Change]) -> datetime | None:
    """When the ticket last entered a status, from its history (None if it never moved)."""
    moves = [c.at for c in changes if any(i.kind == "status" for i in c.items)]
    return max(moves) if moves else None
