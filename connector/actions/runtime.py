"""What action executors work with, and what each returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from connector.config.loader import Config
from connector.domain import Ticket, User
from connector.engine.calendar import BusinessCalendar
from connector.engine.planner import PlannedAction
from connector.errors import BlockedError
from connector.state.base import OutboxMessage, StateStore
from connector.tracker.base import LegacyTracker
from connector.tracker.jira.fields import FieldCodec


@dataclass
class Runtime:
    """The adapters and settings an executor needs; built once per cycle by the app. It keeps
    no decision in memory: what an effect decided lives on its ledger row."""

    tracker: LegacyTracker
    store: StateStore
    config: Config
    calendar: BusinessCalendar
    codec: FieldCodec
    jira_url: str
    mail_from: str
    feedback_link: Callable[[Ticket], str] | None = None
    _users: dict[str, User] = field(default_factory=dict)

    @property
    def jira_status(self) -> Mapping[str, str]:
        """Workflow status name -> Jira status name."""
        return self.config.mappings.statuses

    def user(self, identity: str) -> User:
        """A configured person (email or user name) as a tracker user, looked up once."""
        # Only people found are remembered: one missing now may be added to Jira later.
        found = self._users.get(identity) or self.tracker.find_user(identity)
        if found is None:
            # A configuration mistake, not a fact about the ticket: kept and tried again, so
            # adding the person to Jira (or fixing mappings.yaml) performs the action.
            raise BlockedError(f"no Jira user matches {identity!r}; add them to Jira or fix "
                               "mappings.yaml roles")
        self._users[identity] = found
        return found


@dataclass(frozen=True)
class Outcome:
    """What an executed action did: the mirror after it, a line for the log, mail to queue."""

    ticket: Ticket
    detail: str
    outbox: tuple[OutboxMessage, ...] = ()
    skipped: bool = False
    message_ids: tuple[str, ...] = ()  # Message-IDs of the queued mail, for threading replies


Executor = Callable[[Runtime, PlannedAction, Ticket, datetime], Outcome]
