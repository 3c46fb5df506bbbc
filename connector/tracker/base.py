"""The `Tracker` protocol in the workflow's words, its optional capabilities, and how an
adapter names tickets for people and mail.

The core (sync, actions, mail intake, the feedback form) sees a tracker only through these.
What is one tracker's own (Jira's flavors, JQL, labels, `fields`, transitions; Zendesk's
custom statuses, groups, cursors) stays in its package under `connector/tracker/`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from connector.tracker.feed import Change, FeedPage
from connector.tracker.values import (
    Attachment,
    Comment,
    NewTicket,
    Person,
    TrackedTicket,
    WorkflowFields,
)

if TYPE_CHECKING:
    from connector.config.loader import Config

# The `updated` the mirror holds for those of these tickets (by internal id) it has.
MirroredVersions = Callable[[Sequence[str]], Mapping[str, datetime]]

class TicketRefs(Protocol):
    """How a tracker's tickets are referred to: `HELP-12` on Jira, `#4711` on Zendesk."""

    def display(self, key: str) -> str:
        """The reference people read and write (`HELP-12`, `#4711`)."""
        ...

    def subject_tag(self, key: str) -> str:
        """What a mail subject carries so a reply finds the ticket (`[HELP-12]`)."""
        ...

    def in_subject(self, subject: str) -> list[str]:
        """The keys of this tracker's tickets a subject names, leftmost first."""
        ...

    def parse(self, text: str) -> str | None:
        """`text` as a key of this tracker's tickets (as ticketflow writes it into ids), or None."""
        ...

    def web_url(self, key: str) -> str:
        """Where a person opens the ticket in the tracker."""
        ...


class Notes(Protocol):
    """Small named values an adapter keeps across runs (in the state file): what it learnt
    of its tracker, so a cron-driven cycle need not ask again."""

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


class Tracker(Protocol):
    """A ticket tracker, seen through what the workflow needs, in the workflow's words.

    Tickets are named by their key (`HELP-12` on Jira, `4711` on Zendesk); statuses, tiers and
    categories are the workflow's; people are `Person`s. Every write is safe to repeat: a
    field already so is left alone.
    """

    @property
    def refs(self) -> TicketRefs:
        """How this tracker's tickets are referred to."""
        ...

    def changes(self, bookmark: str | None, *, now: datetime) -> Iterator[FeedPage]:
        """Pages of tickets changed since `bookmark`, each with the bookmark to keep once its
        effects are recorded. With None: every open ticket (the backfill), ending with a page
        that carries the first bookmark and the baseline. `now` is the cycle's start on the
        host's clock: later changes may be left for the next call."""
        ...

    def count_open(self) -> int:
        """How many tickets are open (the census)."""
        ...

    def ticket(self, key: str) -> TrackedTicket:
        """One ticket as it is now (TrackerError with status 404 when there is none)."""
        ...

    def comments(self, key: str) -> list[Comment]:
        """Every comment of the ticket, oldest first."""
        ...

    def history(self, key: str) -> list[Change]:
        """Every change of the ticket, oldest first."""
        ...

    def attachments(self, key: str) -> list[str]:
        """The names of the files attached to the ticket."""
        ...

    def find_by_mail_marker(self, marker: str) -> str | None:
        """The key of the oldest ticket created from the mail with this marker, or None (how
        mail intake finds a ticket it made before a crash could record it)."""
        ...

    def myself(self) -> Person:
        """Who ticketflow acts as (its own changes trigger no rules)."""
        ...

    def find_person(self, identity: str, *, project: str | None = None) -> Person | None:
        """A person tickets of `project` can be assigned to, by e-mail (or Jira Data Center
        user name); None for the default project. A tracker without projects (Zendesk) has
        one answer for every project."""
        ...

    def create(self, ticket: NewTicket) -> str:
        """Create a ticket in the workflow's initial status; returns its key."""
        ...

    def update(self, key: str, fields: WorkflowFields, *, restart_status: bool = False) -> None:
        """Set the given workflow fields in one call (each skipped when already so). A status
        is reached through the workflow (NoTransitionError when no transition leads there);
        `restart_status` takes the status's transition to itself even when the ticket is
        there already (an escalation restarts the clock of the next tier)."""
        ...

    def add_comment(self, key: str, body: str, *, public: bool) -> Comment:
        """Comment as plain text; a comment that is not public is hidden from customers."""
        ...

    def attach(self, key: str, attachment: Attachment) -> None:
        """Upload a file to the ticket."""
        ...

    def relate(self, key: str, other: str) -> None:
        """Record that ticket `key` follows up or concerns ticket `other` (Jira: a link)."""
        ...


@runtime_checkable
class SupportsNotify(Protocol):
    """A tracker that mails its own users (Jira's notify; rules.yaml `via: jira_notify`)."""

    def notify(self, key: str, *, subject: str, text_body: str, html_body: str | None,
               people: Sequence[Person]) -> None: ...


@runtime_checkable
class SupportsMirroredChanges(Protocol):
    """A change feed that reaches back over tickets it delivered before (Jira's overlap
    window) and can leave out those the mirror holds as they are, unread: an idle cycle
    then costs one request however many tickets changed a minute ago."""

    def changes_after(self, bookmark: str, *, now: datetime,
                      mirrored: MirroredVersions) -> Iterator[FeedPage]:
        """`Tracker.changes(bookmark, now=now)`, without the tickets whose `updated` equals
        what `mirrored` says (their changes and comments were recorded with that read); a
        page left empty by that still carries its bookmark."""
        ...


@runtime_checkable
class SupportsFeedLag(Protocol):
    """A change feed that leaves out the last moments' changes (Zendesk's exports: the last
    minute) while `count_open` sees them at once: a census right after a move would find a
    gap that is only the feed's lag."""

    @property
    def feed_lag(self) -> timedelta:
        """How long a change may stay out of the feed."""
        ...

    def count_changed_within(self, span: timedelta) -> int:
        """How many tickets changed within the last `span` (the tracker's own clock)."""
        ...


@dataclass(frozen=True)
class OwnerClaim:
    """Which ticketflow acts on a tracker: `instance` names its state (replicas of one state
    are one owner); the rest says where it runs, for people; `heartbeat` is when it last
    said it is alive (its host's clock)."""

    instance: str
    host: str
    state: str
    heartbeat: datetime
    pid: int = 0


@runtime_checkable
class SupportsClaim(Protocol):
    """A tracker that keeps an owner claim (Jira: a project property), so a second ticketflow
    with another state refuses to act on it instead of doubling every ticket and message."""

    def read_claim(self) -> OwnerClaim | None:
        """The claim as the tracker holds it (None: unclaimed, or not one ticketflow wrote)."""
        ...

    def write_claim(self, claim: OwnerClaim) -> None:
        """Replace the claim."""
        ...


class WebhookCall(Protocol):
    """A webhook to register (see connector/web/registration.py): the API call, and what an
    administrator does by hand where the API does not allow it."""

    @property
    def url(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def body(self) -> dict[str, Any]: ...

    @property
    def by_hand(self) -> tuple[str, ...]: ...

    @property
    def secret(self) -> str | None:
        """TICKETFLOW_WEBHOOK_SECRET, which `run` verifies with (None when unset)."""
        ...


@runtime_checkable
class SupportsWebhookRegistration(Protocol):
    """A tracker `install-scheme` can register `run`'s webhook with (or say how to)."""

    def register_webhook(self, hook: WebhookCall, *, dry_run: bool,
                         echo: Callable[[str], None] = print) -> bool:
        """Register it where the API allows (once: a webhook to the same URL is kept), else
        print the steps by hand; whether it is in place now."""
        ...


@runtime_checkable
class SupportsWindow(Protocol):
    """A tracker whose change feed can start at an instant (`ticketflow backtest` reads the
    tickets changed in a window that way)."""

    def bookmark_at(self, instant: datetime) -> str:
        """A bookmark from which `changes` yields every ticket changed since `instant`."""
        ...


@runtime_checkable
class SupportsInstall(Protocol):
    """A tracker ticketflow can install the workflow into (`ticketflow install-scheme`)."""

    def install_scheme(self, config: Config, *, dry_run: bool, output: Path | None = None,
                       echo: Callable[[str], None] = print,
                       wait: Callable[[float], None] = time.sleep) -> int:
        """Print the plan and apply it (or write what an administrator must do); the exit code."""
        ...


@runtime_checkable
class SupportsOnlineCheck(Protocol):
    """A tracker mappings.yaml can be checked against (`ticketflow validate --online`)."""

    def check_config(self, config: Config) -> str:
        """Raise a ConfigError naming each mismatch at its line; else the line to print."""
        ...


@runtime_checkable
class SupportsProjects(Protocol):
    """A tracker over several projects (Jira's) that can read some of them on their own: a
    project added to mappings.yaml is backfilled while the others go on from their bookmark."""

    def scoped(self, projects: Sequence[str]) -> Tracker:
        """The same tracker over these projects only."""
        ...
