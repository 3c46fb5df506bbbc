"""A tracker for `--dry-run`: reads go to the real one, writes are only written down."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from connector.domain import Change, Comment, Issue, User
from connector.tracker.base import LegacyTracker
from connector.tracker.values import Attachment


class RecordingTracker:
    """Wraps a LegacyTracker; every write becomes a line in `writes` and changes nothing."""

    def __init__(self, inner: LegacyTracker) -> None:
        self.inner = inner
        self.flavor = inner.flavor
        self.writes: list[str] = []

    # reads: straight through
    def search_changed(self, project: str, *, since: datetime,
                       page_size: int = 100) -> Iterator[list[Issue]]:
        return self.inner.search_changed(project, since=since, page_size=page_size)

    def search_open(self, project: str, *, done_statuses: Sequence[str],
                    page_size: int = 100) -> Iterator[list[Issue]]:
        return self.inner.search_open(project, done_statuses=done_statuses, page_size=page_size)

    def count(self, project: str, *, done_statuses: Sequence[str]) -> int:
        return self.inner.count(project, done_statuses=done_statuses)

    def changelogs(self, issue_ids: Sequence[str]) -> dict[str, list[Change]]:
        return self.inner.changelogs(issue_ids)

    def comments(self, key: str) -> list[Comment]:
        return self.inner.comments(key)

    def get_issue(self, key: str) -> Issue:
        return self.inner.get_issue(key)

    def find_user(self, query: str) -> User | None:
        return self.inner.find_user(query)

    def get_property(self, key: str, name: str) -> Any:
        return self.inner.get_property(key, name)

    def myself(self) -> User:
        return self.inner.myself()

    def server_time(self) -> datetime:
        return self.inner.server_time()

    def find_by_label(self, project: str, label: str) -> Issue | None:
        return self.inner.find_by_label(project, label)

    # writes: recorded only
    def create_issue(self, project: str, *, issue_type: str, summary: str, description: str,
                     fields: Mapping[str, Any] | None = None,
                     properties: Mapping[str, Any] | None = None) -> Issue:
        raise NotImplementedError("dry run cannot create issues")  # mail intake skips in dry run

    def transition_to(self, key: str, status: str, **_: Any) -> None:
        self.writes.append(f"would move {key} to {status}")

    def add_comment(self, key: str, body: str, *, internal: bool) -> Comment:
        self.writes.append(f"would add an {'internal' if internal else 'public'} comment "
                           f"to {key}")
        return Comment(id="dry-run", issue_key=key, created=datetime.min, author=None, body=body,
                       internal=internal)

    def assign(self, key: str, user: User | None) -> None:
        self.writes.append(f"would assign {key} to {user.display_name if user else 'nobody'}")

    def update_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        self.writes.append(f"would set {', '.join(sorted(fields))} on {key}")

    def attach(self, key: str, attachment: Attachment) -> None:
        self.writes.append(f"would attach {attachment.filename} to {key}")

    def link_issues(self, inward: str, outward: str, *, link_type: str = "Relates") -> None:
        self.writes.append(f"would link {inward} to {outward} ({link_type})")

    def notify(self, key: str, *, subject: str, text_body: str, html_body: str | None,
               users: Sequence[User]) -> None:
        self.writes.append(f"would notify {len(users)} users about {key}")
