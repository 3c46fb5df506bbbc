"""`FakeTracker`: the Tracker protocol in memory, in the workflow's words, for the core's tests.

Like a tracker: every write stamps `updated` from the fake's clock; field and assignee changes
are one history entry per call, a status change (reached only along rules.yaml's workflow, else
the NoTransitionError an adapter raises) and each attachment one more; comments write none.
The feed pages tickets in the order they changed, at most 100 a page; its bookmark counts
writes instead of telling time, so nothing in the core can read a bookmark as an instant.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector.clock import Clock
from connector.errors import TrackerError
from connector.tracker.feed import Change, ChangeItem, FeedPage, TicketChanges, field_change
from connector.tracker.refs import ProjectKeyRefs
from connector.tracker.transitions import Option, choose
from connector.tracker.values import (
    UNSET,
    Attachment,
    Comment,
    MailOrigin,
    NewTicket,
    Person,
    TrackedTicket,
    WorkflowFields,
)

if TYPE_CHECKING:
    from connector.config.loader import Config
    from connector.tracker.base import OwnerClaim, SupportsClaim, SupportsNotify, Tracker

MAX_PAGE = 100
NEWEST_COMMENTS = 20  # what a read brings, as Jira's search does
# The workflow fields a ticket keeps besides its status and assignee.
_FIELDS = ("tier", "category", "customer", "satisfaction")


@dataclass
class Notification:
    """A message sent through the tracker's own notification mail."""

    key: str
    subject: str
    text_body: str
    html_body: str | None
    people: tuple[Person, ...]


@dataclass
class _Record:
    ticket: TrackedTicket
    revision: int
    history: list[Change] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    origin: MailOrigin | None = None


class FakeTracker:
    """An in-memory tracker for engine, sync, action and intake tests."""

    def __init__(self, *, clock: Clock, project: str, statuses: Sequence[str],
                 done: Iterable[str], initial: str,
                 transitions: Sequence[tuple[str, str, str]], people: Sequence[Person] = (),
                 me: Person | None = None, more_projects: Sequence[str] = ()) -> None:
        """`transitions`: (name, from, to) by workflow status name; `more_projects` beside
        the default `project` (tickets are numbered across them all)."""
        self.clock = clock
        self.project = project
        self.projects = (project, *more_projects)
        self.statuses = list(statuses)
        self.done = frozenset(done)
        self.initial = initial
        self.transitions = list(transitions)
        self.me = me or Person("ticketflow-bot", None, "ticketflow")
        self.people = [self.me, *people]
        self.notifications: list[Notification] = []
        self.relations: list[tuple[str, str]] = []  # (key, the ticket it follows or concerns)
        self.calls: list[str] = []  # method names in call order, for tests that count
        self.actor: Person | None = None  # who acts; None means ticketflow's own user
        self.claim: OwnerClaim | None = None  # the owner claim, as a tracker keeps it
        # Per project, the people (e-mail or ref) it refuses as assignee, as a Jira project
        # without their Assignable User permission does: `find_person` does not find them.
        self.unassignable: dict[str, set[str]] = {}
        self._refs = ProjectKeyRefs(self.projects, url=lambda key: f"https://tracker.invalid/{key}")
        self._records: dict[str, _Record] = {}
        self._ids = itertools.count(10000)
        self._numbers = itertools.count(1)
        self._revision = 0

    @classmethod
    def from_config(cls, config: Config, *, clock: Clock,
                    people: Sequence[Person] = ()) -> FakeTracker:
        """The workflow of rules.yaml, for the project mappings.yaml names."""
        workflow = config.rules.workflow
        return cls(clock=clock, project=config.mappings.project,
                   more_projects=config.mappings.projects[1:],
                   statuses=[s.name for s in workflow.statuses], done=workflow.done_statuses,
                   initial=workflow.initial, people=people,
                   transitions=[(t.name or t.to, t.from_, t.to) for t in workflow.transitions])

    @contextmanager
    def acting_as(self, person: Person) -> Iterator[None]:
        """Changes and comments made inside are authored by `person` (an engineer, a customer)."""
        self.actor = person
        try:
            yield
        finally:
            self.actor = None

    @property
    def refs(self) -> ProjectKeyRefs:
        return self._refs

    # -- reading ---------------------------------------------------------------------------

    def changes(self, bookmark: str | None, *, now: datetime) -> Iterator[FeedPage]:
        self.calls.append("changes")
        if bookmark is None:
            found = sorted((r for r in self._records.values() if self._open(r)),
                           key=lambda r: (r.ticket.created, _number(r.ticket.key)))
            for page in _pages(found):
                yield FeedPage(tuple(self._changes(r) for r in page), None)
            yield FeedPage((), str(self._revision), baseline=self.clock.now())
            return
        if bookmark.startswith("at "):  # bookmark_at: changed since an instant
            instant = datetime.fromisoformat(bookmark.removeprefix("at "))
            changed = sorted((r for r in self._records.values()
                              if r.ticket.updated >= instant), key=lambda r: r.revision)
        else:
            since = int(bookmark)
            changed = sorted((r for r in self._records.values() if r.revision > since),
                             key=lambda r: r.revision)
        for page in _pages(changed):
            yield FeedPage(tuple(self._changes(r) for r in page), str(page[-1].revision))

    def bookmark_at(self, instant: datetime) -> str:
        return f"at {instant.isoformat()}"

    def count_open(self) -> int:
        self.calls.append("count_open")
        return sum(1 for r in self._records.values() if self._open(r))

    def ticket(self, key: str) -> TrackedTicket:
        self.calls.append("ticket")
        return self._view(self._record(key))

    def comments(self, key: str) -> list[Comment]:
        self.calls.append("comments")
        return list(self._record(key).comments)

    def history(self, key: str) -> list[Change]:
        self.calls.append("history")
        return list(self._record(key).history)

    def attachments(self, key: str) -> list[str]:
        return [a.filename for a in self._record(key).attachments]

    def find_by_mail_marker(self, marker: str) -> str | None:
        self.calls.append("find_by_mail_marker")
        found = [r.ticket.key for r in self._records.values()
                 if r.origin is not None and r.origin.marker == marker]
        return min(found, key=_number) if found else None

    def myself(self) -> Person:
        return self.me

    def find_person(self, identity: str, *, project: str | None = None) -> Person | None:
        wanted = identity.lower()
        refused = {who.lower() for who in self.unassignable.get(project or self.project, ())}
        return next((p for p in self.people
                     if wanted in {(p.email or "").lower(), p.ref.lower()}
                     and not refused & {(p.email or "").lower(), p.ref.lower()}), None)

    # -- writing ---------------------------------------------------------------------------

    def create(self, ticket: NewTicket) -> str:
        self.calls.append("create")
        now = self.clock.now()
        project = ticket.project if ticket.project in self.projects else self.project
        key = f"{project}-{next(self._numbers)}"
        self._revision += 1
        made = TrackedTicket(key=key, id=str(next(self._ids)), summary=ticket.summary,
                             project=project,
                             status=self.initial, created=now, updated=now,
                             text=ticket.description, reporter=self.actor or self.me,
                             labels=ticket.labels, comments_complete=True)
        values = {name: value for name, value in ticket.fields.given().items()
                  if name in (*_FIELDS, "assignee")}
        self._records[key] = _Record(replace(made, **values), self._revision,
                                     origin=ticket.mail)
        status = ticket.fields.status
        if status is not UNSET and status != self.initial:
            self.update(key, WorkflowFields(status=status))
        return key

    def update(self, key: str, fields: WorkflowFields, *, restart_status: bool = False) -> None:
        self.calls.append("update")
        record = self._record(key)
        given = fields.given()
        items = [field_change(name, _shown(getattr(record.ticket, name)), _shown(value))
                 for name, value in given.items()
                 if name in _FIELDS and getattr(record.ticket, name) != value]
        values = {name: given[name] for name in _FIELDS if name in given}
        if "assignee" in given and _ref(record.ticket.assignee) != _ref(given["assignee"]):
            items.append(ChangeItem("assignee", before=_ref(record.ticket.assignee),
                                    after=_ref(given["assignee"])))
            values["assignee"] = given["assignee"]
        if items:
            self._change(record, items, **values)
        if "status" in given:
            self._move(record, str(given["status"]), restart=restart_status)

    def _move(self, record: _Record, target: str, *, restart: bool) -> None:
        current = record.ticket.status
        found = [Option(str(11 + 10 * n), name, to)
                 for n, (name, source, to) in enumerate(self.transitions) if source == current]
        if current == target and not (restart and any(o.to == target for o in found)):
            return
        chosen = choose(record.ticket.key, current, target, found).to
        if chosen == current:  # a loop: the ticket is touched, its status has not changed
            self._touch(record)
            return
        self._change(record, [ChangeItem("status", before=current, after=chosen)], status=chosen)

    def add_comment(self, key: str, body: str, *, public: bool) -> Comment:
        self.calls.append("add_comment")
        record = self._record(key)
        now = self.clock.now()
        comment = Comment(str(next(self._ids)), now, self.actor or self.me, body, public)
        record.comments.append(comment)
        self._touch(record)  # a comment shows the ticket as changed, with no history entry
        return comment

    def attach(self, key: str, attachment: Attachment) -> None:
        self.calls.append("attach")
        record = self._record(key)
        record.attachments.append(attachment)
        self._change(record, [ChangeItem("field", "attachment", after=attachment.filename)])

    def relate(self, key: str, other: str) -> None:
        self.calls.append("relate")
        self._record(key)
        self._record(other)
        self.relations.append((key, other))

    def notify(self, key: str, *, subject: str, text_body: str, html_body: str | None,
               people: Sequence[Person]) -> None:
        self.calls.append("notify")
        self._record(key)
        self.notifications.append(Notification(key, subject, text_body, html_body, tuple(people)))

    def read_claim(self) -> OwnerClaim | None:
        self.calls.append("read_claim")
        return self.claim

    def write_claim(self, claim: OwnerClaim) -> None:
        self.calls.append("write_claim")
        self.claim = claim

    # -- for tests -------------------------------------------------------------------------

    def keys(self) -> list[str]:
        """Every ticket's key, in the order they were made."""
        return sorted(self._records, key=_number)

    def origin(self, key: str) -> MailOrigin | None:
        """The mail a ticket was made from, as intake gave it."""
        return self._record(key).origin

    # -- helpers ---------------------------------------------------------------------------

    def _record(self, key: str) -> _Record:
        if key not in self._records:
            raise TrackerError(f"ticket {key}: the tracker has no such ticket", status=404)
        return self._records[key]

    def _open(self, record: _Record) -> bool:
        return record.ticket.status not in self.done

    def _view(self, record: _Record) -> TrackedTicket:
        newest = tuple(record.comments[-NEWEST_COMMENTS:])
        return replace(record.ticket, comments=newest,
                       comments_complete=len(newest) == len(record.comments))

    def _changes(self, record: _Record) -> TicketChanges:
        return TicketChanges(self._view(record), tuple(record.history))

    def _change(self, record: _Record, items: list[ChangeItem], **values: Any) -> None:
        record.history.append(Change(str(next(self._ids)), self.clock.now(),
                                     self.actor or self.me, tuple(items)))
        self._touch(record, **values)

    def _touch(self, record: _Record, **values: Any) -> None:
        """The ticket changed now: it is next in the feed, with these values."""
        self._revision += 1
        record.revision = self._revision
        record.ticket = replace(record.ticket, updated=self.clock.now(), **values)


def _pages(records: list[_Record]) -> Iterator[list[_Record]]:
    for start in range(0, len(records), MAX_PAGE):
        yield records[start:start + MAX_PAGE]


def _number(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def _ref(person: Person | None) -> str | None:
    return person.ref if person else None


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)


if TYPE_CHECKING:  # mypy proves the fake offers the protocol and the notify capability

    def _is_a_tracker(fake: FakeTracker) -> Tracker:
        return fake

    def _notifies(fake: FakeTracker) -> SupportsNotify:
        return fake

    def _keeps_a_claim(fake: FakeTracker) -> SupportsClaim:
        return fake
