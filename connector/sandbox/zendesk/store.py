"""The Zendesk sandbox's state, its id counters, and the indexes the change feeds read."""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from typing import TypeVar

from connector.sandbox.clock import SandboxClock
from connector.sandbox.zendesk.errors import not_found
from connector.sandbox.zendesk.model import (
    Audit,
    CustomStatus,
    Group,
    Membership,
    Ticket,
    TicketField,
    Upload,
    User,
    Webhook,
)

T = TypeVar("T")


class Store:
    """All sandbox data. Callers hold `lock` around every read-then-write (the server does)."""

    def __init__(self, *, clock: SandboxClock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        self.me = 0  # the acting user's id
        self.api_user = 0
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.memberships: dict[int, Membership] = {}
        self.statuses: dict[int, CustomStatus] = {}
        self.fields: dict[int, TicketField] = {}
        self.tickets: dict[int, Ticket] = {}
        self.webhooks: dict[str, Webhook] = {}
        self.uploads: dict[str, Upload] = {}  # token -> an upload no comment has taken yet
        self.solved: set[int] = set()  # tickets to close once 4 days have passed
        # (generated_timestamp, ticket id), sorted: the ticket export reads it in order.
        self.generated_index: list[tuple[int, int]] = []
        # (created, audit id) and the audit, sorted: the ticket events export.
        self.audit_index: list[tuple[int, int]] = []
        self.audits: dict[int, Audit] = {}
        self.changed: list[tuple[Ticket, Audit]] = []  # for webhooks, after each request
        self.counters = {"user": 10000, "group": 20000, "membership": 25000, "status": 30000,
                         "field": 40000, "option": 45000, "ticket": 0, "comment": 50000,
                         "audit": 60000, "webhook": 0, "upload": 70000}

    def next_id(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]

    def now(self) -> int:
        """The sandbox clock in epoch seconds (Zendesk's resolution)."""
        return int(self.clock.now().timestamp())

    # -- look-ups (404 as Zendesk answers) -------------------------------------------------

    @property
    def current_user(self) -> User:
        return self.users[self.me]

    def user(self, ref: object) -> User:
        return _get(self.users, ref)

    def user_by_email(self, email: str) -> User | None:
        lowered = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == lowered), None)

    def ticket(self, ref: object) -> Ticket:
        return _get(self.tickets, ref)

    def group(self, ref: object) -> Group:
        return _get(self.groups, ref)

    def status(self, ref: object) -> CustomStatus:
        return _get(self.statuses, ref)

    def default_status(self, category: str) -> CustomStatus:
        return next(s for s in self.statuses.values() if s.category == category and s.default)

    def member_of(self, user_id: int, group_id: int) -> bool:
        return any(m.user_id == user_id and m.group_id == group_id
                   for m in self.memberships.values())

    def default_group(self, user_id: int) -> int | None:
        mine = [m for m in self.memberships.values() if m.user_id == user_id]
        chosen = next((m for m in mine if m.default), mine[0] if mine else None)
        return chosen.group_id if chosen else None

    # -- tickets and their indexes ----------------------------------------------------------

    def add_ticket(self, ticket: Ticket) -> None:
        self.tickets[ticket.id] = ticket
        insort(self.generated_index, (ticket.generated, ticket.id))

    def touch(self, ticket: Ticket, when: int) -> None:
        """Move a ticket's generated_timestamp (and `updated_at`) to `when`."""
        old = (ticket.generated, ticket.id)
        position = bisect_left(self.generated_index, old)
        if position < len(self.generated_index) and self.generated_index[position] == old:
            del self.generated_index[position]
        ticket.generated = ticket.updated = when
        insort(self.generated_index, (when, ticket.id))

    def add_audit(self, ticket: Ticket, audit: Audit, *, announce: bool = True) -> None:
        """Keep an audit; `announce` it to the webhooks once the request is done."""
        ticket.audits.append(audit)
        self.audits[audit.id] = audit
        insort(self.audit_index, (audit.created, audit.id))
        if announce:
            self.changed.append((ticket, audit))


def _get(table: dict[int, T], ref: object) -> T:
    text = str(ref)
    found = table.get(int(text)) if text.isdigit() else None
    if found is None:
        raise not_found()
    return found
