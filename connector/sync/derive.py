"""From a tracked ticket and its new changes to the mirrored ticket and its events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from connector.domain import Ticket
from connector.engine.events import Event
from connector.tracker.feed import Change, ChangeItem
from connector.tracker.values import Comment, TrackedTicket

MAX_TEXT = 8000  # enough for text_matches on real requests; keeps the mirror small
Side = Literal["customer", "staff"]
# Comments ticketflow posted for a mail, by comment id: which side sent the mail. Such a comment
# is authored by ticketflow's API user, yet is the customer's (or staff's) word, not our own.
MailSides = Mapping[str, Side]
_NO_MAIL: MailSides = {}


@dataclass(frozen=True)
class Vocabulary:
    """Which workflow statuses are done, and who ticketflow is in the tracker."""

    done_statuses: frozenset[str]  # workflow statuses in the Done category
    me: str                        # the API user's ref (changes by it are "own")


def to_ticket(ticket: TrackedTicket, *, project: str, vocabulary: Vocabulary,
              previous: Ticket | None, status_since: datetime | None,
              mail_sides: MailSides = _NO_MAIL) -> Ticket:
    """The mirror's view of `ticket`. `status_since` is the history's last entry into a
    status; the mirror's own, when later and in the same status, wins: an escalation restarts
    the status (Assigned -> Assigned) and a tracker writes no status change for that."""
    status = ticket.status
    kept = previous.status_since if previous is not None and previous.status == status else None
    known = [t for t in (status_since, kept) if t is not None]
    resolutions = previous.resolutions if previous else 0
    if status in vocabulary.done_statuses and (previous is None or previous.status != status):
        resolutions += 1
    return Ticket(
        issue_id=ticket.id, key=ticket.key, project=project, status=status,
        status_since=max(known) if known else ticket.created, created=ticket.created,
        updated=ticket.updated, summary=ticket.summary, text=ticket.text[:MAX_TEXT],
        assignee=ticket.assignee.identity if ticket.assignee else None,
        assignee_name=ticket.assignee.display_name if ticket.assignee else None,
        tier=ticket.tier, category=ticket.category, customer=ticket.customer,
        reporter=ticket.reporter.identity if ticket.reporter else None, labels=ticket.labels,
        last_customer_reply=last_customer_reply(
            ticket, previous.last_customer_reply if previous else None, mail_sides),
        resolutions=resolutions, open=status not in vocabulary.done_statuses)


def comment_by(comment: Comment, customer: str | None,
               mail_sides: MailSides = _NO_MAIL) -> Side:
    """The customer wrote it (their address, or their mail posted by ticketflow), or someone
    on the team did."""
    if comment.id in mail_sides:
        return mail_sides[comment.id]
    author = (comment.author.email or "").lower() if comment.author else ""
    return "customer" if customer and author == customer.lower() else "staff"


def last_customer_reply(ticket: TrackedTicket, previous: datetime | None,
                        mail_sides: MailSides = _NO_MAIL) -> datetime | None:
    """The newest comment by the customer (or what the mirror knew before)."""
    replies = [c.created for c in ticket.comments
               if comment_by(c, ticket.customer, mail_sides) == "customer"]
    known = [t for t in (*replies, previous) if t is not None]
    return max(known) if known else None


def events_from(ticket: TrackedTicket, changes: Sequence[Change], vocabulary: Vocabulary, *,
                is_new: bool, comments: Sequence[Comment] = (),
                mail_sides: MailSides = _NO_MAIL) -> list[Event]:
    """Created (for a new ticket), one event per changed item and per new comment, in order."""
    events: list[Event] = []
    if is_new:
        events.append(Event(kind="created", issue_id=ticket.id, issue_key=ticket.key,
                            at=ticket.created, trigger="created"))
    for comment in comments:
        own = (comment.author is not None and comment.author.ref == vocabulary.me
               and comment.id not in mail_sides)
        events.append(Event(kind="commented", issue_id=ticket.id, issue_key=ticket.key,
                            at=comment.created, trigger=f"comment:{comment.id}",
                            by=comment_by(comment, ticket.customer, mail_sides), own=own))
    for change in sorted(changes, key=lambda c: (c.at, c.id)):
        own = change.author is not None and change.author.ref == vocabulary.me
        events += [_event(ticket, change, item, own=own) for item in change.items]
    return sorted(events, key=lambda e: (e.kind != "created", e.at))


def _event(ticket: TrackedTicket, change: Change, item: ChangeItem, *, own: bool) -> Event:
    """A status change, an assignment, or a change of a field (tier, category, customer,
    satisfaction by those names; any other by the tracker's name for it)."""
    name = item.field if item.kind == "field" else item.kind
    base = Event(kind="field_changed", issue_id=ticket.id, issue_key=ticket.key, at=change.at,
                 trigger=f"chg:{change.id}:{name}", own=own)
    if item.kind == "status":
        return replace(base, kind="status_changed", from_status=item.before,
                       to_status=item.after)
    if item.kind == "assignee":
        return replace(base, kind="assigned")
    return replace(base, field=name)
