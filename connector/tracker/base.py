"""The `Tracker` protocol: what the rest of ticketflow needs from an issue tracker."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from connector.domain import Change, Comment, Issue, User

Flavor = Literal["cloud", "datacenter"]


@dataclass(frozen=True)
class Attachment:
    """A file to attach to an issue."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


class Tracker(Protocol):
    """An issue tracker, seen through the operations the workflow needs.

    Statuses are named as the tracker names them (mappings.yaml translates). Users are
    addressed by `User.ref` (account id on Cloud, user name on Data Center).
    """

    flavor: Flavor

    def search_changed(
        self, project: str, *, since: datetime, page_size: int = 100
    ) -> Iterator[list[Issue]]:
        """Pages of issues updated at or after `since` (an absolute instant), oldest first."""
        ...

    def search_open(
        self, project: str, *, done_statuses: Sequence[str], page_size: int = 100
    ) -> Iterator[list[Issue]]:
        """Pages of every issue not in one of `done_statuses` (first-run backfill)."""
        ...

    def count(self, project: str, *, done_statuses: Sequence[str]) -> int:
        """How many issues are open (census): approximate on Cloud, exact on Data Center."""
        ...

    def changelogs(self, issue_ids: Sequence[str]) -> dict[str, list[Change]]:
        """Every changelog entry of these issues, oldest first, by issue id."""
        ...

    def comments(self, key: str) -> list[Comment]:
        """The issue's comments, oldest first."""
        ...

    def get_issue(self, key: str) -> Issue:
        """One issue by key."""
        ...

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
        """Create an issue; `fields` are raw tracker field values, `properties` issue properties."""
        ...

    def transition_to(self, key: str, status: str, *, from_status: str | None = None) -> None:
        """Move the issue to `status` through the workflow transition that leads there.

        `from_status`, when the caller knows the issue's current status, lets the tracker use
        a cached transition instead of asking. Already in `status` with no transition leading
        there (a retried action): nothing happens. Otherwise no such transition: TrackerError.
        """
        ...

    def add_comment(self, key: str, body: str, *, internal: bool) -> Comment:
        """Comment as plain text; internal comments are hidden from customers."""
        ...

    def assign(self, key: str, user: User | None) -> None:
        """Assign the issue (None unassigns)."""
        ...

    def update_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        """Set raw tracker field values (labels, components, custom fields)."""
        ...

    def attach(self, key: str, attachment: Attachment) -> None:
        """Upload a file to the issue."""
        ...

    def notify(
        self,
        key: str,
        *,
        subject: str,
        text_body: str,
        html_body: str | None,
        users: Sequence[User],
    ) -> None:
        """Send a message to users through the tracker's own notification mail."""
        ...

    def myself(self) -> User:
        """The user ticketflow acts as (to tell its own changes from people's)."""
        ...

    def server_time(self) -> datetime:
        """The tracker's own clock, now: the bookmarks are instants of the tracker's clock
        (it stamps `updated`), which may differ from the host's."""
        ...

    def find_user(self, query: str) -> User | None:
        """A user by email or name, or None."""
        ...

    def get_property(self, key: str, name: str) -> Any:
        """An issue property's value, or None."""
        ...

    def find_by_label(self, project: str, label: str) -> Issue | None:
        """The oldest issue of the project carrying `label`, or None (JQL `labels = ...`;
        how mail intake finds an issue it created before a crash could record it)."""
        ...

    def link_issues(self, inward: str, outward: str, *, link_type: str = "Relates") -> None:
        """Link two issues (e.g. a follow-up ticket to the completed one it follows)."""
        ...
