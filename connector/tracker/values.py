"""The values the tracker boundary speaks in: people, comments, workflow fields, tickets.

Every value is in the workflow's words: a status is a rules.yaml status name, a tier a number,
a category a rules.yaml category, the customer an e-mail address. How a tracker spells them
(a Jira status and custom field, a Zendesk custom status and group) stays in its adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any


class _Unset(Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET
Unset = _Unset  # for annotations: `str | Unset`


@dataclass(frozen=True)
class Person:
    """A tracker user. `ref` is the adapter's own identifier (Jira: the account id on Cloud,
    the user name on Data Center; Zendesk: the user id as text); the core compares people by
    `email` when it is known, else by `ref`."""

    ref: str
    email: str | None = None
    display_name: str = ""

    @property
    def identity(self) -> str:
        """How the mirror names this person: the e-mail, else the tracker's reference."""
        return self.email or self.ref


@dataclass(frozen=True)
class Comment:
    """A comment as plain text (rich text is converted by the adapter)."""

    id: str
    created: datetime
    author: Person | None
    body: str
    public: bool = True


@dataclass(frozen=True)
class WorkflowFields:
    """The workflow's fields of a ticket, each optional: UNSET leaves it as it is, None clears
    it (an assignee of None unassigns). `status` is a workflow status name, `assignee` a
    Person found with `Tracker.find_person`, `customer` an e-mail address."""

    status: str | Unset = UNSET
    tier: int | Unset | None = UNSET
    category: str | Unset | None = UNSET
    assignee: Person | Unset | None = UNSET
    customer: str | Unset | None = UNSET
    satisfaction: int | Unset | None = UNSET

    def given(self) -> dict[str, Any]:
        """The fields that are set (None included), by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not UNSET}


@dataclass(frozen=True)
class TrackedTicket:
    """What the adapter reads of a ticket, in the workflow's words. `status` is a workflow
    status name (a tracker status mappings.yaml does not map passes through as itself).
    `comments` are those the read brought (Jira: the newest, up to 20 with a search);
    `comments_complete` says whether they are all of them."""

    key: str
    id: str
    summary: str
    status: str
    created: datetime
    updated: datetime
    text: str = ""
    tier: int | None = None
    category: str | None = None
    assignee: Person | None = None
    customer: str | None = None
    reporter: Person | None = None
    labels: tuple[str, ...] = ()
    satisfaction: int | None = None
    comments: tuple[Comment, ...] = ()
    comments_complete: bool = True
    project: str = ""  # the project it is in, where the tracker has several ("": the default)


@dataclass(frozen=True)
class MailOrigin:
    """The mail a ticket is created from: `marker` finds the ticket again after a crash
    (Jira: a label; Zendesk: the external id), `message_id` and `mail_key` name the mail."""

    marker: str
    mail_key: str
    message_id: str | None = None


@dataclass(frozen=True)
class NewTicket:
    """A ticket to create. `labels` are labels (Jira) or tags (Zendesk); `follows` names a
    completed ticket this one follows up (a tracker may link them at creation)."""

    summary: str
    description: str
    fields: WorkflowFields = field(default_factory=WorkflowFields)
    labels: tuple[str, ...] = ()
    mail: MailOrigin | None = None
    follows: str | None = None
    project: str | None = None  # the project to open it in (None: the default, the first)


@dataclass(frozen=True)
class Attachment:
    """A file to attach to a ticket."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
