"""The Zendesk sandbox's records: users, groups, statuses, fields, tickets, comments, audits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A ticket's `status` is the category of its custom status, or `closed` once it is archived.
CATEGORIES = ("new", "open", "pending", "hold", "solved")
STATUSES = (*CATEGORIES, "closed")
ROLES = ("end-user", "agent", "admin")
FIELD_TYPES = ("text", "textarea", "checkbox", "date", "integer", "decimal", "regexp",
               "tagger", "multiselect")


@dataclass(slots=True)
class User:
    """A Zendesk user; agents and admins can be assigned, end users request."""

    id: int
    name: str
    email: str
    role: str
    created: int  # epoch seconds, as every Zendesk timestamp
    updated: int
    active: bool = True

    @property
    def is_agent(self) -> bool:
        return self.role in ("agent", "admin")


@dataclass(slots=True)
class Group:
    id: int
    name: str
    description: str
    created: int
    updated: int
    default: bool = False


@dataclass(slots=True)
class Membership:
    """An agent's membership of a group."""

    id: int
    user_id: int
    group_id: int
    created: int
    default: bool = False


@dataclass(slots=True)
class CustomStatus:
    """A custom ticket status in one of the five categories; one default per category."""

    id: int
    category: str
    agent_label: str
    end_user_label: str
    description: str
    end_user_description: str
    created: int
    updated: int
    active: bool = True
    default: bool = False


@dataclass(slots=True)
class FieldOption:
    """A drop-down choice: its `value` is also the tag Zendesk puts on the ticket."""

    id: int
    name: str
    value: str
    position: int
    default: bool = False


@dataclass(slots=True)
class TicketField:
    """A ticket field: the system ones (subject, status, group...) and custom ones."""

    id: int
    type: str
    title: str
    description: str
    created: int
    updated: int
    position: int
    options: list[FieldOption] = field(default_factory=list)
    active: bool = True
    required: bool = False
    system: bool = False
    agent_description: str = ""

    @property
    def removable(self) -> bool:
        return not self.system


@dataclass(slots=True)
class Upload:
    """A file uploaded for a comment to attach (`POST uploads`), until a comment takes it."""

    token: str
    id: int
    file_name: str
    content_type: str
    size: int


@dataclass(slots=True)
class Comment:
    """A public reply or a private (internal) note."""

    id: int
    author_id: int
    body: str
    public: bool
    created: int
    audit_id: int
    attachments: list[Upload] = field(default_factory=list)


@dataclass(slots=True)
class Audit:
    """One update of a ticket: who, when, how, and its events (Create, Change, Comment)."""

    id: int
    ticket_id: int
    author_id: int
    created: int
    via: dict[str, Any]
    events: list[dict[str, Any]]


@dataclass(slots=True)
class Ticket:
    """A ticket with everything the sandbox serves about it."""

    id: int
    subject: str
    description: str
    status: str
    custom_status_id: int
    requester_id: int
    submitter_id: int
    created: int
    updated: int
    generated: int  # generated_timestamp: moves on every change, system ones too
    via: dict[str, Any]
    external_id: str | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    priority: str | None = None
    type: str | None = None
    tags: list[str] = field(default_factory=list)
    custom: dict[int, Any] = field(default_factory=dict)  # field id -> value
    is_public: bool = True
    solved_at: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    audits: list[Audit] = field(default_factory=list)


@dataclass(slots=True)
class Webhook:
    """A webhook; what it is sent for is decided by its `subscriptions`."""

    id: str
    name: str
    endpoint: str
    subscriptions: list[str]
    secret: str
    created: int
    updated: int
    created_by: int
    status: str = "active"
    http_method: str = "POST"
    request_format: str = "json"
