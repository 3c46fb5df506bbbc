"""The sandbox's state: every record, the indexes searches use, and the lock that guards them."""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections.abc import Iterable

from connector.sandbox.clock import SandboxClock
from connector.sandbox.jira.errors import ApiError, not_found
from connector.sandbox.jira.model import (
    ChangeItem,
    Component,
    Event,
    Flavor,
    History,
    Issue,
    Project,
    Status,
    User,
    Webhook,
    Workflow,
    WorkflowScheme,
)


class Store:
    """All sandbox data. Callers hold `lock` around every read-then-write (the server does)."""

    def __init__(self, *, flavor: Flavor, clock: SandboxClock) -> None:
        self.flavor: Flavor = flavor
        self.clock = clock
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        """Forget everything; `bootstrap.populate` fills a fresh store."""
        self.version = 0  # bumped by every mutation; search caches key on it
        self.users: dict[str, User] = {}
        self.me = ""
        self.statuses: dict[str, Status] = {}
        self.workflows: dict[str, Workflow] = {}
        self.schemes: dict[int, WorkflowScheme] = {}
        self.projects: dict[int, Project] = {}
        self.components: dict[int, Component] = {}
        self.issues: dict[int, Issue] = {}
        self.by_key: dict[str, Issue] = {}
        self.by_project: dict[int, set[int]] = {}
        self.by_status: dict[str, set[int]] = {}
        # (epoch ms, issue id), kept sorted, so date ranges and ORDER BY dates need no scan.
        self.updated_index: list[tuple[int, int]] = []
        self.created_index: list[tuple[int, int]] = []
        self.attachment_owner: dict[int, int] = {}  # attachment id -> issue id
        self.comment_owner: dict[int, int] = {}  # comment id -> issue id
        self.notifications: list[dict[str, object]] = []
        self.webhooks: dict[int, Webhook] = {}
        self.events: list[Event] = []  # changes not yet announced to webhooks
        self.tasks: dict[str, dict[str, object]] = {}
        self.counters = {"issue": 10000, "history": 10000, "comment": 10000,
                          "attachment": 10000, "link": 10000, "component": 10000,
                          "scheme": 10000, "status": 10000, "task": 10000,
                          "project": 10000, "webhook": 0}

    def next_id(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]

    def now_ms(self) -> int:
        return self.clock.now_ms()

    # -- users ------------------------------------------------------------------------------

    @property
    def current_user(self) -> User:
        return self.users[self.me]

    def find_user(self, ident: str) -> User | None:
        """A user by accountId, name, key or e-mail (whatever the flavor calls them)."""
        if ident in self.users:
            return self.users[ident]
        lowered = ident.lower()
        for user in self.users.values():
            if lowered in (user.name.lower(), user.key.lower(), user.email.lower()):
                return user
        return None

    def search_users(self, query: str) -> list[User]:
        """Prefix match on display name, e-mail or name, as Jira's user picker does."""
        lowered = query.lower().strip()
        return [u for u in self.users.values() if not lowered or any(
            part.startswith(lowered) or whole.startswith(lowered)
            for whole in (u.display_name.lower(), u.email.lower(), u.name.lower())
            for part in whole.split())]

    # -- projects, statuses, workflows -----------------------------------------------------

    def project(self, ref: str | int) -> Project:
        """A project by id or key (case-insensitive); 404 as Jira answers."""
        text = str(ref)
        if text.isdigit() and int(text) in self.projects:
            return self.projects[int(text)]
        for project in self.projects.values():
            if project.key.upper() == text.upper():
                return project
        raise ApiError(404, [f"No project could be found with key '{text}'."])

    def status_by_name(self, name: str) -> Status | None:
        lowered = name.lower()
        for status in self.statuses.values():
            if status.name.lower() == lowered:
                return status
        return None

    def workflow_for(self, project_id: int, issuetype_id: str) -> Workflow:
        scheme = self.schemes[self.projects[project_id].scheme_id]
        return self.workflows[scheme.workflow_for(issuetype_id)]

    def components_of(self, project_id: int) -> list[Component]:
        return [c for c in self.components.values() if c.project_id == project_id]

    # -- issues and their indexes -----------------------------------------------------------

    def issue(self, ref: str | int) -> Issue:
        """An issue by key or id; 404 with Jira's message otherwise."""
        found = self.find_issue(ref)
        if found is None:
            raise not_found()
        return found

    def find_issue(self, ref: str | int) -> Issue | None:
        text = str(ref)
        if text.isdigit():
            return self.issues.get(int(text))
        return self.by_key.get(text.upper())

    def add_issue(self, issue: Issue) -> None:
        self.issues[issue.id] = issue
        self.by_key[issue.key.upper()] = issue
        self.by_project.setdefault(issue.project_id, set()).add(issue.id)
        self.by_status.setdefault(issue.status_id, set()).add(issue.id)
        insort(self.updated_index, (issue.updated, issue.id))
        insort(self.created_index, (issue.created, issue.id))
        self.version += 1

    def add_issues_bulk(self, issues: Iterable[Issue]) -> None:
        """Add many issues with one sort of the date indexes (seeding 100,000 takes seconds)."""
        for issue in issues:
            self.issues[issue.id] = issue
            self.by_key[issue.key.upper()] = issue
            self.by_project.setdefault(issue.project_id, set()).add(issue.id)
            self.by_status.setdefault(issue.status_id, set()).add(issue.id)
            self.updated_index.append((issue.updated, issue.id))
            self.created_index.append((issue.created, issue.id))
        self.updated_index.sort()
        self.created_index.sort()
        self.version += 1

    def remove_issue(self, issue: Issue) -> None:
        del self.issues[issue.id]
        del self.by_key[issue.key.upper()]
        self.by_project[issue.project_id].discard(issue.id)
        self.by_status[issue.status_id].discard(issue.id)
        for index, stamp in ((self.updated_index, issue.updated),
                             (self.created_index, issue.created)):
            position = bisect_left(index, (stamp, issue.id))
            if position < len(index) and index[position] == (stamp, issue.id):
                del index[position]
        self.version += 1

    def set_status(self, issue: Issue, status_id: str) -> None:
        self.by_status[issue.status_id].discard(issue.id)
        self.by_status.setdefault(status_id, set()).add(issue.id)
        issue.status_id = status_id

    def touch(self, issue: Issue, when: int | None = None) -> None:
        """Stamp `updated` from the sandbox clock, keeping the date index sorted."""
        stamp = self.now_ms() if when is None else when
        old = (issue.updated, issue.id)
        position = bisect_left(self.updated_index, old)
        if position < len(self.updated_index) and self.updated_index[position] == old:
            del self.updated_index[position]
        issue.updated = stamp
        insort(self.updated_index, (stamp, issue.id))
        self.version += 1

    def record(self, issue: Issue, items: list[ChangeItem]) -> History | None:
        """Stamp the issue and, when something changed, write one changelog history."""
        now = self.now_ms()
        self.touch(issue, now)
        if not items:
            return None
        history = History(self.next_id("history"), self.me, now, items)
        issue.histories.append(history)
        fields = {item.field_id for item in history.items}
        self.announce(Event("jira:issue_updated", issue.id, self.me, now, history=history,
                            type_name="issue_assigned" if fields == {"assignee"}
                            else "issue_generic"))
        return history

    def announce(self, event: Event) -> None:
        """Keep a change for the webhooks (the app posts them once the request is done)."""
        if self.webhooks:
            self.events.append(event)
