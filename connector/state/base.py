"""The `StateStore` protocol and the records it keeps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from connector.domain import Ticket

# pending: recorded, not yet performed. blocked: cannot be performed until the configuration is
# fixed (an unknown user, a template that fails to render, a status with no transition); tried
# again every cycle. superseded: rules.yaml changed under it, so it will never be performed.
EffectStatus = Literal["pending", "blocked", "done", "failed", "skipped", "superseded"]
WAITING: tuple[EffectStatus, ...] = ("pending", "blocked")
OutboxStatus = Literal["pending", "sent", "failed", "dropped"]
# Outbox rows for a chat webhook carry this prefix before the people they are for.
WEBHOOK_PREFIX = "webhook:"


@dataclass(frozen=True)
class Bookmark:
    """How far polling of one project has got: changes updated at or after `since` are next."""

    project: str
    since: datetime
    backfilled: bool = False


@dataclass(frozen=True)
class ActionIdentity:
    """Which action of its rule a ledger row performs, as it was defined when recorded: on
    replay the rule's action at `index` must still have this kind and digest."""

    index: int
    kind: str
    definition: str = ""  # canonical JSON of the action; "" for rows recorded before 0007
    digest: str = ""      # SHA-256 of `definition`


@dataclass(frozen=True)
class TriggerEvent:
    """The event that made the rule fire, and the ticket's status when it did."""

    kind: str
    at: datetime | None = None
    from_status: str | None = None
    to_status: str | None = None
    by: str | None = None
    field: str | None = None
    ticket_status: str | None = None
    ticket_status_since: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What an escalate or assign decided, kept with its row before its first write, so a
    rerun after a crash decides the same and its rule's notices can say what happened."""

    from_tier: int | None = None
    to_tier: int | None = None
    tier_name: str | None = None
    waited_status: str | None = None  # the status the ticket waited in
    waited: str | None = None         # how long, in business time, as words
    assignee: str | None = None       # the person a pick chose


@dataclass(frozen=True)
class Effect:
    """One ledger row: an action a rule planned for an issue, keyed so it happens once.

    `effect_key` joins issue, rule, trigger (a changelog id or an instant) and action index.
    `identity`, `event` and `decision` are None/empty on rows recorded before 0007.
    """

    effect_key: str
    issue_key: str
    rule: str
    action: str
    trigger: str
    status: EffectStatus = "pending"
    detail: str = ""
    created_at: datetime | None = None
    done_at: datetime | None = None
    identity: ActionIdentity | None = None
    event: TriggerEvent | None = None
    decision: Decision = field(default_factory=Decision)


@dataclass(frozen=True)
class OutboxMessage:
    """A rendered message waiting to be delivered (queued with its ledger row)."""

    id: int | None
    effect_key: str
    issue_key: str
    template: str
    recipient: str
    message: bytes
    status: OutboxStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    created_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass
class Transaction:
    """What one unit of work writes; applied atomically by `StateStore.commit`."""

    tickets: list[Ticket] = field(default_factory=list)
    closed_issue_ids: list[str] = field(default_factory=list)
    processed_changes: list[tuple[str, str]] = field(default_factory=list)  # (change id, issue id)
    effects: list[Effect] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    bookmark: Bookmark | None = None
    # (Message-ID, issue key, "in" or "out"): mail we received or sent, for threading.
    message_ids: list[tuple[str, str, str]] = field(default_factory=list)
    # Status changes of existing ledger rows (pending -> done, blocked...), applied in the
    # same transaction as the outbox rows an effect queued: a message is queued with its mark.
    marks: list[Effect] = field(default_factory=list)
    # When each ticket evaluated for time rules next needs evaluating (None: not until it
    # changes), written with the effects that evaluation recorded: a crash loses both or
    # neither. Applied after `tickets`, each of which is otherwise due at once.
    due: dict[str, datetime | None] = field(default_factory=dict)


class StateStore(Protocol):
    """Everything ticketflow remembers between cycles. Writes are atomic per `commit`."""

    def bookmark(self, project: str) -> Bookmark | None: ...

    def ticket(self, issue_id: str) -> Ticket | None: ...

    def ticket_by_key(self, key: str) -> Ticket | None: ...

    def open_tickets(self, project: str) -> Iterator[Ticket]: ...

    def due_tickets(self, project: str, now: datetime) -> Iterator[Ticket]:
        """The open tickets whose time rules need evaluating at `now`: those written since
        their last evaluation and those whose due instant has come."""
        ...

    def reset_due(self, project: str) -> None:
        """Every ticket of the project due at once (the rules or the calendar changed)."""
        ...

    def count_open(self, project: str) -> int: ...

    def seen_changes(self, change_ids: Iterable[str]) -> set[str]:
        """Which of these changelog ids were already processed."""
        ...

    def effect(self, effect_key: str) -> Effect | None: ...

    def effects_for(self, issue_key: str) -> list[Effect]: ...

    def pending_effects(self) -> list[Effect]:
        """Ledger rows still to perform, oldest first: pending ones (after a crash: to finish
        first) and blocked ones (tried again every cycle)."""
        ...

    def effects_with_status(self, statuses: Sequence[EffectStatus]) -> list[Effect]:
        """Every ledger row in one of these statuses, oldest first."""
        ...

    def record_decision(self, effect_key: str, decision: Decision) -> None:
        """Keep what an effect decided on its row, now, before it writes anything."""
        ...

    def effects_since(self, issue_key: str, since: datetime) -> int:
        """How many effects that act (skipped ones do not) were recorded for the issue since an
        instant (circuit breaker)."""
        ...

    def mark_effect(self, effect_key: str, status: EffectStatus, *, detail: str = "",
                    at: datetime) -> None: ...

    def commit(self, transaction: Transaction) -> None:
        """Apply every write of the transaction, all or nothing."""
        ...

    def pending_outbox(self, now: datetime, limit: int = 100, *,
                       webhook: bool | None = None) -> list[OutboxMessage]:
        """Due pending messages, oldest first; `webhook` True or False keeps only chat posts
        or only mail (delivery pauses each channel on its own)."""
        ...

    def outbox(self, statuses: Sequence[OutboxStatus]) -> list[OutboxMessage]: ...

    def outbox_message(self, message_id: int) -> OutboxMessage | None: ...

    def outbox_counts(self) -> dict[str, int]:
        """How many messages are in each status."""
        ...

    def mark_sent(self, message_id: int, *, at: datetime) -> None:
        """The server accepted the message: one more attempt, and it is sent."""
        ...

    def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """This message was deferred: one more attempt, due again at `at` (if still pending)."""
        ...

    def mark_failed(self, message_id: int, *, error: str, attempted: bool = True) -> None:
        """This message will not be sent without an operator (`outbox retry`); `attempted`
        False when it was held back before any send (a blocked recipient)."""
        ...

    def requeue(self, message_id: int) -> bool:
        """A failed or waiting message is due now with fresh attempts; False (and nothing
        changes) when it was sent or dropped, so running it twice is harmless."""
        ...

    def requeue_failed(self) -> int:
        """Every failed message due now with fresh attempts; how many."""
        ...

    def drop(self, message_id: int) -> bool:
        """Give a pending or failed message up; False when it was sent or dropped already."""
        ...

    def next_in_rotation(self, name: str, size: int) -> int:
        """Advance a named round-robin counter; the index (0..size-1) whose turn it is."""
        ...

    def open_count_by_assignee(self, project: str) -> dict[str, int]:
        """How many open tickets each assignee holds in the mirror (least-loaded assignment)."""
        ...

    def issue_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        """The ticket of the first of these Message-IDs we know (sent or received), or None."""
        ...

    def message_ids_for(self, issue_key: str, direction: str) -> list[str]:
        """Message-IDs of a ticket, oldest first (the customer's original is the first "in")."""
        ...

    def suppress(self, address: str, *, reason: str, until: datetime, at: datetime) -> None:
        """Send no automatic mail to `address` before `until` (a bounce, a flood)."""
        ...

    def suppression(self, address: str, now: datetime) -> str | None:
        """Why `address` gets no automatic mail now, or None (matched case-insensitively)."""
        ...

    def meta(self, key: str) -> str | None:
        """A small named value kept across runs (e.g. when the last census ran)."""
        ...

    def set_meta(self, key: str, value: str) -> None: ...

    def lock(self) -> AbstractContextManager[None]:
        """Hold the single-instance lock on this state, or raise FatalError if taken."""
        ...

    def close(self) -> None: ...
