"""The records the state keeps, and `StateStore`: every concern's protocol over one connection."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from connector.domain import Ticket
from connector.state.concerns import (
    Baselines,
    Bookmarks,
    Censuses,
    CircuitBreakers,
    Committer,
    ConfigChecks,
    DeliveryPauses,
    InstallationKeys,
    Ledger,
    Mirror,
    Outbox,
    Rotations,
    SendHistory,
    Suppressions,
    Threading,
    TrackerNotes,
)

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
    """How far polling of one project has got: where the tracker's change feed goes on from
    (the adapter's own text: Jira's is an instant of its clock). `backfilled` once the first
    run mirrored every open ticket."""

    project: str
    position: str
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


class StateStore(Mirror, Bookmarks, Committer, Ledger, Outbox, Threading, Suppressions,
                 SendHistory, DeliveryPauses, Rotations, Baselines, Censuses,
                 CircuitBreakers, InstallationKeys, ConfigChecks, TrackerNotes, Protocol):
    """Everything ticketflow remembers between cycles, every concern over one connection
    (connector.state.concerns). Writes are atomic per `commit`."""

    def lock(self) -> AbstractContextManager[None]:
        """Hold the single-instance lock on this state, or raise FatalError if taken."""
        ...

    def tidy(self) -> None:
        """Between two jobs of the service: housekeeping kept out of the jobs' commits."""
        ...

    def close(self) -> None: ...
