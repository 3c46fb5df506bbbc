"""`FakeTracker`: the LegacyTracker protocol in memory, keeping the Jira rules callers depend on.

Like Jira: every write stamps `updated` from the clock; field, status, assignee and attachment
changes write one changelog entry (comments and properties do not); transitions are allowed
only along the workflow, otherwise the same TrackerError the Jira adapter raises; searches
page oldest first, at most 100 a page.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector.clock import Clock
from connector.config.loader import Config
from connector.domain import Change, ChangeItem, Comment, Issue, User
from connector.errors import TrackerError
from connector.tracker.base import Flavor, LegacyTracker
from connector.tracker.transitions import Option, choose
from connector.tracker.values import Attachment

MAX_PAGE = 100


@dataclass
class Notification:
    """A message sent through the tracker's notify."""

    key: str
    subject: str
    text_body: str
    html_body: str | None
    users: tuple[User, ...]


@dataclass
class _Record:
    issue: Issue
    project: str
    changes: list[Change] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    def view(self) -> Issue:
        """The issue as Jira returns it: with its 20 newest comments."""
        return replace(self.issue, comments=tuple(self.comments[-20:]))


class FakeTracker:
    """An in-memory tracker for engine, sync and action tests."""

    def __init__(
        self,
        *,
        clock: Clock,
        statuses: Mapping[str, str],
        initial: str,
        transitions: Sequence[tuple[str, str, str]],
        users: Sequence[User] = (),
        me: User | None = None,
        flavor: Flavor = "cloud",
    ) -> None:
        """`statuses`: name -> category name; `transitions`: (name, from, to) by status name."""
        self.flavor: Flavor = flavor
        self.clock = clock
        self.statuses = dict(statuses)
        self.initial = initial
        self.transitions = list(transitions)
        self.me = me or User(display_name="ticketflow", account_id="ticketflow-bot")
        self.users = [self.me, *users]
        self.notifications: list[Notification] = []
        self.links: list[tuple[str, str, str]] = []  # (inward key, outward key, link type)
        self.calls: list[str] = []  # method names in call order, for tests that count
        self.actor: User | None = None  # who acts; None means ticketflow's own user
        self._records: dict[str, _Record] = {}
        self._ids = itertools.count(10000)
        self._numbers: dict[str, itertools.count[int]] = {}

    @classmethod
    def from_config(
        cls, config: Config, *, clock: Clock, users: Sequence[User] = (), flavor: Flavor = "cloud"
    ) -> FakeTracker:
        """The workflow of rules.yaml in mappings.yaml's Jira names."""
        jira = config.mappings.statuses
        workflow = config.rules.workflow
        return cls(
            clock=clock,
            statuses={jira[s.name]: s.category for s in workflow.statuses},
            initial=jira[workflow.initial],
            users=users,
            flavor=flavor,
            transitions=[(t.name or t.to, jira[t.from_], jira[t.to]) for t in workflow.transitions],
        )

    @contextmanager
    def acting_as(self, user: User) -> Iterator[None]:
        """Changes and comments made inside are authored by `user` (an engineer, a customer)."""
        self.actor = user
        try:
            yield
        finally:
            self.actor = None

    # -- reading ---------------------------------------------------------------------------

    def search_changed(
        self, project: str, *, since: datetime, page_size: int = 100
    ) -> Iterator[list[Issue]]:
        self.calls.append("search_changed")
        found = [r.view() for r in self._project(project) if r.issue.updated >= since]
        return _pages(sorted(found, key=lambda i: (i.updated, _number(i.key))), page_size)

    def search_open(
        self, project: str, *, done_statuses: Sequence[str], page_size: int = 100
    ) -> Iterator[list[Issue]]:
        self.calls.append("search_open")
        done = {s.lower() for s in done_statuses}
        found = [r.view() for r in self._project(project) if r.issue.status.lower() not in done]
        return _pages(sorted(found, key=lambda i: (i.created, _number(i.key))), page_size)

    def count(self, project: str, *, done_statuses: Sequence[str]) -> int:
        self.calls.append("count")
        done = {s.lower() for s in done_statuses}
        return sum(1 for r in self._project(project) if r.issue.status.lower() not in done)

    def changelogs(self, issue_ids: Sequence[str]) -> dict[str, list[Change]]:
        self.calls.append("changelogs")
        by_id = {r.issue.id: r for r in self._records.values()}
        return {i: list(by_id[i].changes) if i in by_id else [] for i in issue_ids}

    def comments(self, key: str) -> list[Comment]:
        self.calls.append("comments")
        return list(self._record(key).comments)

    def get_issue(self, key: str) -> Issue:
        self.calls.append("get_issue")
        return self._record(key).view()

    def myself(self) -> User:
        return self.me

    def server_time(self) -> datetime:
        self.calls.append("server_time")
        return self.clock.now()

    def find_user(self, query: str) -> User | None:
        wanted = query.lower()
        for user in self.users:
            if wanted in {
                (user.email or "").lower(),
                (user.name or "").lower(),
                (user.account_id or "").lower(),
            }:
                return user
        return None

    def get_property(self, key: str, name: str) -> Any:
        return self._record(key).properties.get(name)

    def find_by_label(self, project: str, label: str) -> Issue | None:
        self.calls.append("find_by_label")
        found = [r.view() for r in self._project(project)
                 if label.lower() in (x.lower() for x in r.issue.labels)]
        return min(found, key=lambda i: _number(i.key)) if found else None

    # -- writing ---------------------------------------------------------------------------

    def create_issue(
        self,
        project: str,
        *,
        issue_type: str,
        summary: str,
        description: str,
        fields: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Issue:
        self.calls.append("create_issue")
        del issue_type  # one workflow for every issue type here
        number = next(self._numbers.setdefault(project, itertools.count(1)))
        now = self.clock.now()
        issue = Issue(
            id=str(next(self._ids)),
            key=f"{project}-{number}",
            summary=summary,
            status=self.initial,
            status_category=self.statuses[self.initial],
            created=now,
            updated=now,
            description=description,
            reporter=self.me,
        )
        record = _Record(
            replace(issue, **_values(issue, fields or {})),
            project,
            properties=dict(properties or {}),
        )
        self._records[issue.key] = record
        return record.issue

    def transition_to(self, key: str, status: str, *, from_status: str | None = None,
                      restart: bool = True) -> None:
        self.calls.append("transition_to")
        del from_status  # the fake always knows the current status
        record = self._record(key)
        current = record.issue.status
        found = [
            Option(str(11 + 10 * n), name, target)
            for n, (name, source, target) in enumerate(self.transitions)
            if source.lower() == current.lower()
        ]
        if current.lower() == status.lower() and not (restart and any(
            o.to.lower() == status.lower() for o in found
        )):
            return
        target = choose(key, current, status, found).to
        self._change(
            record,
            [ChangeItem("status", "status", current, current, target, target)],
            status=target,
            status_category=self.statuses[target],
        )

    def add_comment(self, key: str, body: str, *, internal: bool) -> Comment:
        self.calls.append("add_comment")
        record = self._record(key)
        now = self.clock.now()
        comment = Comment(
            id=str(next(self._ids)),
            issue_key=key,
            created=now,
            author=self.actor or self.me,
            body=body,
            internal=internal,
        )
        record.comments.append(comment)
        record.issue = replace(record.issue, updated=now)  # Jira: no changelog for comments
        return comment

    def assign(self, key: str, user: User | None) -> None:
        self.calls.append("assign")
        record = self._record(key)
        old = record.issue.assignee
        if old == user:
            return
        item = ChangeItem(
            "assignee",
            "assignee",
            old.ref if old else None,
            old.display_name if old else None,
            user.ref if user else None,
            user.display_name if user else None,
        )
        self._change(record, [item], assignee=user)

    def update_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        self.calls.append("update_fields")
        record = self._record(key)
        values = _values(record.issue, fields)
        items = [
            ChangeItem(name, name, None, _shown(getattr(record.issue, name)), None, _shown(value))
            for name, value in values.items()
            if name != "custom_fields" and getattr(record.issue, name) != value
        ]
        old_custom = record.issue.custom_fields
        items += [
            ChangeItem(f, f, None, _shown(old_custom.get(f)), None, _shown(v))
            for f, v in values.get("custom_fields", {}).items()
            if old_custom.get(f) != v
        ]
        if items:
            self._change(record, items, **values)

    def attach(self, key: str, attachment: Attachment) -> None:
        self.calls.append("attach")
        record = self._record(key)
        record.attachments.append(attachment)
        self._change(
            record, [ChangeItem("Attachment", "attachment", None, None, None, attachment.filename)]
        )

    def link_issues(self, inward: str, outward: str, *, link_type: str = "Relates") -> None:
        self.calls.append("link_issues")
        self._record(inward)
        self._record(outward)
        self.links.append((inward, outward, link_type))

    def notify(
        self,
        key: str,
        *,
        subject: str,
        text_body: str,
        html_body: str | None,
        users: Sequence[User],
    ) -> None:
        self.calls.append("notify")
        self._record(key)
        self.notifications.append(Notification(key, subject, text_body, html_body, tuple(users)))

    # -- helpers ---------------------------------------------------------------------------

    def _record(self, key: str) -> _Record:
        if key not in self._records:
            raise TrackerError(
                f"GET issue/{key}: Jira answered HTTP 404: Issue does not exist "
                "or you do not have permission to see it.",
                status=404,
            )
        return self._records[key]

    def _project(self, project: str) -> list[_Record]:
        return [r for r in self._records.values() if r.project == project]

    def _change(self, record: _Record, items: list[ChangeItem], **values: Any) -> None:
        now = self.clock.now()
        record.changes.append(
            Change(
                id=str(next(self._ids)),
                issue_id=record.issue.id,
                created=now,
                author=self.actor or self.me,
                items=tuple(items),
            )
        )
        record.issue = replace(record.issue, updated=now, **values)


def _values(issue: Issue, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Raw Jira field values (as the adapter sends them) as Issue attributes."""
    values: dict[str, Any] = {}
    custom = dict(issue.custom_fields)
    for name, value in fields.items():
        if name == "labels":
            values["labels"] = tuple(str(v) for v in value or ())
        elif name == "components":
            values["components"] = tuple(str(c["name"]) for c in value or ())
        elif name in ("summary", "description"):
            values[name] = str(value or "")
        elif name.startswith("customfield_"):
            custom[name] = value
        else:
            raise TrackerError(
                f"PUT issue/{issue.key}: Jira answered HTTP 400: {name}: Field "
                f"'{name}' cannot be set. It is not on the appropriate screen, "
                "or unknown.",
                status=400,
            )
    if custom != issue.custom_fields:
        values["custom_fields"] = custom
    return values


def _pages(issues: list[Issue], page_size: int) -> Iterator[list[Issue]]:
    size = max(1, min(page_size, MAX_PAGE))
    for start in range(0, len(issues), size):
        yield issues[start : start + size]


def _number(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def _shown(value: Any) -> str | None:
    if value is None or value in ((), ""):
        return None
    if isinstance(value, tuple):
        return " ".join(map(str, value))
    return str(value)


if TYPE_CHECKING:  # mypy proves the fake and the adapter offer the same protocol

    def _is_a_tracker(fake: FakeTracker) -> LegacyTracker:
        return fake
