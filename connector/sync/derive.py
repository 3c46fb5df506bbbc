"""From a Jira issue and its new changelog entries to the mirrored ticket and its events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from connector.domain import Change, Comment, Issue, Ticket
from connector.engine.events import Event
from connector.tracker.jira.fields import TicketFields

MAX_TEXT = 8000  # enough for text_matches on real requests; keeps the mirror small
Side = Literal["customer", "staff"]
# Comments ticketflow posted for a mail, by comment id: which side sent the mail. Such a comment
# is authored by ticketflow's API user, yet is the customer's (or staff's) word, not our own.
MailSides = Mapping[str, Side]
_NO_MAIL: MailSides = {}


@dataclass(frozen=True)
class Vocabulary:
    """Jira's status names mapped back to the workflow's, and who ticketflow is in Jira."""

    workflow_status: Mapping[str, str]   # Jira status name -> workflow status name
    done_statuses: frozenset[str]        # workflow statuses in the Done category
    me: str                              # the API user's ref (changes by it are "own")

    def status(self, jira_name: str | None) -> str:
        return self.workflow_status.get(jira_name or "", jira_name or "")


def last_status_entry(changes: Sequence[Change]) -> datetime | None:
    """When the issue last entered a status, from its changelog (None if never moved)."""
    moves = [c.created for c in changes if any(i.field == "status" for i in c.items)]
    return max(moves) if moves else None


def _user_key(user: object) -> str | None:
    if user is None:
        return None
    email = getattr(user, "email", None)
    return email or getattr(user, "ref", None)


def to_ticket(issue: Issue, fields: TicketFields, *, project: str, vocabulary: Vocabulary,
              previous: Ticket | None, status_since: datetime | None,
              mail_sides: MailSides = _NO_MAIL) -> Ticket:
    """The mirror's view of `issue`; `status_since` from the changelog when it is known."""
    status = vocabulary.status(issue.status)
    if status_since is None:
        keep = previous is not None and previous.status == status
        status_since = previous.status_since if keep and previous else issue.created
    resolutions = previous.resolutions if previous else 0
    if status in vocabulary.done_statuses and (previous is None or previous.status != status):
        resolutions += 1
    text = issue.description[:MAX_TEXT]
    return Ticket(
        issue_id=issue.id, key=issue.key, project=project, status=status,
        status_since=status_since, created=issue.created, updated=issue.updated,
        summary=issue.summary, text=text, assignee=_user_key(issue.assignee),
        assignee_name=issue.assignee.display_name if issue.assignee else None,
        tier=fields.tier, category=fields.category, customer=fields.customer_email,
        reporter=_user_key(issue.reporter), labels=issue.labels,
        last_customer_reply=last_customer_reply(
            issue, fields.customer_email, previous.last_customer_reply if previous else None,
            mail_sides),
        resolutions=resolutions, open=status not in vocabulary.done_statuses)


def comment_by(comment: Comment, customer: str | None,
               mail_sides: MailSides = _NO_MAIL) -> Side:
    """The customer wrote it (their address, or their mail posted by ticketflow), or someone
    on the team did."""
    if comment.id in mail_sides:
        return mail_sides[comment.id]
    author = (comment.author.email or "").lower() if comment.author else ""
    return "customer" if customer and author == customer.lower() else "staff"


def last_customer_reply(issue: Issue, customer: str | None, previous: datetime | None,
                        mail_sides: MailSides = _NO_MAIL) -> datetime | None:
    """The newest comment by the customer (or what the mirror knew before)."""
    replies = [c.created for c in issue.comments
               if comment_by(c, customer, mail_sides) == "customer"]
    known = [t for t in (*replies, previous) if t is not None]
    return max(known) if known else None


def events_from(issue: Issue, changes: Sequence[Change], vocabulary: Vocabulary, *,
                is_new: bool, comments: Sequence[Comment] = (),
                customer: str | None = None, mail_sides: MailSides = _NO_MAIL) -> list[Event]:
    """Created (for a new issue), one event per changed item and per new comment, in order."""
    events: list[Event] = []
    if is_new:
        events.append(Event(kind="created", issue_id=issue.id, issue_key=issue.key,
                             at=issue.created, trigger="created"))
    for comment in comments:
        own = (comment.author is not None and comment.author.ref == vocabulary.me
               and comment.id not in mail_sides)
        events.append(Event(kind="commented", issue_id=issue.id, issue_key=issue.key,
                             at=comment.created, trigger=f"comment:{comment.id}",
                             by=comment_by(comment, customer, mail_sides), own=own))
    for change in sorted(changes, key=lambda c: (c.created, c.id)):
        own = change.author is not None and change.author.ref == vocabulary.me
        for item in change.items:
            base = Event(kind="field_changed", issue_id=issue.id, issue_key=issue.key,
                         at=change.created, trigger=f"chg:{change.id}:{item.field}", own=own)
            if item.field == "status":
                events.append(replace(base, kind="status_changed",
                                      from_status=vocabulary.status(item.from_string),
                                      to_status=vocabulary.status(item.to_string)))
            elif item.field == "assignee":
                events.append(replace(base, kind="assigned"))
            else:
                events.append(replace(base, field=item.field_id or item.field))
    return sorted(events, key=lambda e: (e.kind != "created", e.at))
