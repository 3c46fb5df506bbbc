"""Frozen value types shared by every layer: the mirror's ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Ticket:
    """The mirror's copy of one open ticket: enough to evaluate time rules with no request.

    `status` is the workflow's status name. `status_since` is when the ticket entered it (from
    the tracker's history, or when an escalation restarted it). `resolutions` counts entries
    into a done status, so "once per resolution" can be keyed on it.
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


@dataclass(frozen=True)
class Clause:
    """The tickets one time rule could fire for (connector.engine.candidates), as the
    mirror's query selects them: status, tier (unset counts as 1, as the engine reads it) and
    category among these (None: any)."""

    statuses: frozenset[str] | None = None
    tiers: frozenset[int] | None = None
    categories: frozenset[str] | None = None

    def admits(self, ticket: Ticket) -> bool:
        """The clause in Python, as the mirror's query applies it in SQL."""
        return ((self.statuses is None or ticket.status in self.statuses)
                and (self.tiers is None or (ticket.tier or 1) in self.tiers)
                and (self.categories is None or ticket.category in self.categories))
