"""What Jira's JSON says, as frozen values: issues, users, changelog entries, comments.

Jira's own words (status names, `fields`, labels, components, custom field ids): the adapter
turns them into the workflow's (`translate.py`); nothing outside `tracker/jira/` sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Which Jira: Cloud (REST v3, ADF, account ids) or Data Center (REST v2, wiki, user names).
Flavor = Literal["cloud", "datacenter"]


@dataclass(frozen=True)
class User:
    """A Jira user. Cloud identifies by account_id, Data Center by name."""

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
