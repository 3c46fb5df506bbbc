"""Frozen value types shared by every layer: issues, changes, comments, users, tickets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class User:
    """A tracker user. Cloud identifies by account_id, Data Center by name."""

    display_name: str
    account_id: str | None = None
    name: str | None = None
    email: str | None = None

    @property
    def ref(self) -> str:
        """The identifier the tracker wants back (account id on Cloud, user name on DC)."""
        return self.account_id or self.name or self.email or self.display_name


@dataclass(frozen=True)
class ChangeItem:
    """One field changed in a change: for status, `from_value`/`to_value` are status ids."""

    field: str
    field_id: str | None
    from_value: str | None
    from_string: str | None
    to_value: str | None
    to_string: str | None


@dataclass(frozen=True)
class Change:
    """One changelog history entry of an issue."""

    id: str
    issue_id: str
    created: datetime
    author: User | None
    items: tuple[ChangeItem, ...]


@dataclass(frozen=True)
class Comment:
    """A comment as plain text (ADF and wiki markup are converted at the adapter)."""

    id: str
    issue_key: str
    created: datetime
    author: User | None
    body: str
    internal: bool = False


@dataclass(frozen=True)
class Issue:
    """What ticketflow reads of an issue. `status` is the tracker's status name."""

    id: str
    key: str
    summary: str
    status: str
    created: datetime
    updated: datetime
    description: str = ""
    status_category: str = ""
    assignee: User | None = None
    reporter: User | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    custom_fields: Mapping[str, Any] = field(default_factory=dict)
    # The newest comments, as Jira returns them with a search (at most 20 on Cloud), so
    # comment events cost no extra request.
    comments: tuple[Comment, ...] = ()
    comment_total: int | None = None  # how many comments the issue has, when Jira says


@dataclass(frozen=True)
class Ticket:
    """The mirror's copy of one open ticket: enough to evaluate time rules with no request.

    `status` is the workflow's status name (mapped back from Jira's). `status_since` is when
    the ticket entered it (from the changelog). `resolutions` counts entries into a done
    status, so "once per resolution" can be keyed on it.
    """

    issue_id: str
    key: str
    project: str
    status: str
    status_since: datetime
    created: datetime
    updated: datetime
    summary: str = ""
    text: str = ""
    assignee: str | None = None
    assignee_name: str | None = None
    tier: int | None = None
    category: str | None = None
    customer: str | None = None
    reporter: str | None = None
    labels: tuple[str, ...] = ()
    last_customer_reply: datetime | None = None
    resolutions: int = 0
    open: bool = True
