"""What action executors work with, and what each returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connector.config.loader import Config
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.engine.planner import PlannedAction
from connector.errors import BlockedError
from connector.state.base import OutboxMessage, StateStore
from connector.tracker.base import Tracker
from connector.tracker.values import Person


@dataclass
class Runtime:
    """The adapters and settings an executor needs; built once per cycle by the app. It keeps
    no decision in memory: what an effect decided lives on its ledger row."""

    tracker: Tracker
    store: StateStore
    config: Config
    calendar: BusinessCalendar
    mail_from: str
    feedback_link: Callable[[Ticket], str] | None = None
    _people: dict[tuple[str, str], Person] = field(default_factory=dict)

    def person(self, identity: str, *, project: str) -> Person:
        """A configured person (email or user name) as a user the tracker lets tickets of
        `project` be assigned to, looked up once per project."""
        # Per project: one person may be assignable in one project and not in another. Only
        # people found are remembered: one missing now may be added to the tracker later.
        found = (self._people.get((project, identity))
                 or self.tracker.find_person(identity, project=project))
        if found is None:
            # A configuration mistake, not a fact about the ticket: kept and tried again, so
            # adding the person to the tracker (or fixing mappings.yaml) performs the action.
            raise BlockedError(f"no tracker user matches {identity!r} (one tickets of "
                               f"{project} may be assigned to); add them to the tracker, let "
                               "them be assigned there, or fix mappings.yaml roles")
        self._people[(project, identity)] = found
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
