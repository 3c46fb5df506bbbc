"""What action executors work with, and what each returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from connector.config.loader import Config
from connector.domain import Ticket, User
from connector.engine.calendar import BusinessCalendar
from connector.engine.planner import PlannedAction
from connector.errors import SkippableError
from connector.state.base import OutboxMessage, StateStore
from connector.templates.variables import Escalation
from connector.tracker.base import Tracker
from connector.tracker.jira.fields import FieldCodec


@dataclass
class Runtime:
    """The adapters and settings an executor needs; built once per cycle by the app."""

    tracker: Tracker
    store: StateStore
    config: Config
    calendar: BusinessCalendar
    codec: FieldCodec
    jira_url: str
    mail_from: str
    feedback_link: Callable[[Ticket], str] | None = None
    escalations: dict[str, Escalation] = field(default_factory=dict)
    _users: dict[str, User | None] = field(default_factory=dict)

    @property
    def jira_status(self) -> Mapping[str, str]:
        """Workflow status name -> Jira status name."""
        return self.config.mappings.statuses

    def user(self, identity: str) -> User:
        """A configured person (email or user name) as a tracker user, looked up once."""
        if identity not in self._users:
            self._users[identity] = self.tracker.find_user(identity)
        found = self._users[identity]
        if found is None:
            raise SkippableError(f"no Jira user matches {identity!r} (check mappings.yaml roles)")
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
