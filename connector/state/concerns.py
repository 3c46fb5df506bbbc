"""What the state keeps, one Protocol per concern; a component asks for the narrowest it needs.

Every store (SQLite, PostgreSQL) offers all of them over one connection, and `StateStore`
(connector.state.base) is their union. Writes of the mirror, the ledger, the outbox and the
bookmarks that belong together go through `StateStore.commit(Transaction)`, all or nothing;
each operation here is otherwise its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from connector.domain import Clause, Ticket
    from connector.state.assignments import Pick
    from connector.state.base import (
        Bookmark,
        Decision,
        Effect,
        EffectStatus,
        OutboxMessage,
        OutboxStatus,
        Transaction,
    )


@dataclass(frozen=True)
class DueBasis:
    """What a project's due index of time rules holds for: the configuration (by its
    fingerprint) it was computed with, and the latest instant a cycle read it at (the index
    holds only forward in time)."""

    fingerprint: str
    through: datetime


class Mirror(Protocol):
    """The local copy of the tracker's open tickets, and the changes already taken in."""

    def ticket(self, issue_id: str) -> Ticket | None: ...

    def ticket_by_key(self, key: str) -> Ticket | None: ...

    def open_tickets(self, project: str, among: Sequence[Clause] | None = None
                     ) -> Iterator[Ticket]:
        """The project's open tickets; with `among`, those some clause admits."""
        ...

    def due_tickets(self, project: str, now: datetime) -> Iterator[Ticket]:
        """The open tickets whose time rules need evaluating at `now`: those written since
        their last evaluation and those whose due instant has come (each evaluation's next
        instants travel in `Transaction.due`)."""
        ...

    def due_basis(self, project: str) -> DueBasis | None:
        """What the project's due index was last computed for (None: never)."""
        ...

    def rebase_due(self, project: str, basis: DueBasis, *, reset: bool = False,
                   among: Sequence[Clause] | None = None) -> None:
        """Keep `basis` as what the index holds for; with `reset` (the rules, the calendar
        or the clock changed under it), every ticket of the project due at once (with
        `among`, those some clause admits, the rest never until they change), in the same
        transaction."""
        ...

    def count_open(self, project: str) -> int: ...

    def load_as_of(self, project: str, members: Sequence[str], at: datetime) -> dict[str, int]:
        """How many of the project's open tickets each member held just before `at`, with the
        picks ticketflow made as of `at` or earlier (least-loaded assignment)."""
        ...

    def seen_changes(self, change_ids: Iterable[str]) -> set[str]:
        """Which of these changelog ids were already processed."""
        ...


class Bookmarks(Protocol):
    """How far polling of each project has got (written by `commit`)."""

    def bookmark(self, project: str) -> Bookmark | None: ...


class Committer(Protocol):
    """The one all-or-nothing write of a unit of work."""

    def commit(self, transaction: Transaction) -> None:
        """Apply every write of the transaction, all or nothing."""
        ...


class Ledger(Protocol):
    """One row per effect a rule planned, so each happens once."""

    def effect(self, effect_key: str) -> Effect | None: ...

    def recorded(self, effect_keys: Iterable[str]) -> set[str]:
        """Which of these effects the ledger holds (a query per chunk, not one per key)."""
        ...

    def effects_for(self, issue_key: str) -> list[Effect]: ...

    def pending_effects(self) -> list[Effect]:
        """Ledger rows still to perform, oldest first: pending ones (after a crash: to finish
        first) and blocked ones (tried again every cycle)."""
        ...

    def effects_with_status(self, statuses: Sequence[EffectStatus]) -> list[Effect]:
        """Every ledger row in one of these statuses, oldest first."""
        ...

    def record_decision(self, effect_key: str, decision: Decision,
                        pick: Pick | None = None) -> None:
        """Keep what an effect decided on its row, now, before it writes anything; with
        `pick`, the picked person holds the ticket from the pick's instant on."""
        ...

    def effects_since(self, issue_keys: Iterable[str], since: datetime) -> dict[str, int]:
        """How many effects that act (skipped ones do not) were recorded for each issue since
        an instant (the circuit breaker's counts; an issue with none is left out)."""
        ...

    def mark_effect(self, effect_key: str, status: EffectStatus, *, detail: str = "",
                    at: datetime) -> None:
        """Settle one row now, on its own (a cycle's marks travel in its Transaction)."""
        ...


class Outbox(Protocol):
    """Rendered messages waiting for delivery, and how each delivery went."""

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


class Threading(Protocol):
    """Every Message-ID sent or received, with its ticket (written by `commit` and intake)."""

    def issue_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        """The ticket of the first of these Message-IDs we know (sent or received), or None."""
        ...

    def message_ids_for(self, issue_key: str, direction: str) -> list[str]:
        """Message-IDs of a ticket, oldest first (the customer's original is the first "in")."""
        ...


class Suppressions(Protocol):
    """Addresses that get no automatic mail for a while (a bounce, a flood)."""

    def suppress(self, address: str, *, reason: str, until: datetime, at: datetime) -> None:
        """Send no automatic mail to `address` before `until` (a bounce, a flood)."""
        ...

    def suppression(self, address: str, now: datetime) -> str | None:
        """Why `address` gets no automatic mail now, or None (matched case-insensitively)."""
        ...


class SendHistory(Protocol):
    """What was delivered to whom and when, for the per-recipient flood limit."""

    def record_send(self, address: str, *, at: datetime, keep_after: datetime) -> None:
        """One message delivered to `address` at `at`; sends before `keep_after` (out of
        every window) are forgotten."""
        ...

    def sends_since(self, address: str, since: datetime) -> list[datetime]:
        """When messages to `address` were delivered after `since`, oldest first."""
        ...

    def flood_reported_until(self, address: str) -> datetime | None:
        """Until when a flood to `address` has been reported (so it is said once)."""
        ...

    def report_flood(self, address: str, *, until: datetime) -> None: ...


@dataclass(frozen=True)
class DeliveryPause:
    """A channel's delivery paused by an outage of its server (mail/pause.py decides)."""

    channel: str
    since: datetime
    failures: int
    until: datetime
    reason: str


class DeliveryPauses(Protocol):
    """The delivery pause of each channel (mail, webhook), kept across processes."""

    def delivery_pause(self, channel: str) -> DeliveryPause | None: ...

    def pause_delivery(self, pause: DeliveryPause) -> None:
        """Keep this pause for its channel, replacing the one before."""
        ...

    def resume_delivery(self, channel: str) -> bool:
        """The channel works again; whether it was paused."""
        ...


class Rotations(Protocol):
    """Named round-robin counters (assignment)."""

    def next_in_rotation(self, name: str, size: int) -> int:
        """Advance a named round-robin counter; the index (0..size-1) whose turn it is."""
        ...


class Baselines(Protocol):
    """When each project's first run took its census of open tickets (the tracker's clock):
    a ticket created since is new to ticketflow."""

    def baseline(self, project: str) -> datetime | None: ...

    def record_baseline(self, project: str, baseline: datetime) -> None: ...


@dataclass(frozen=True)
class Census:
    """The last census of a project's open tickets: when, and tracker minus mirror."""

    taken_at: datetime
    gap: int


class Censuses(Protocol):
    """When each project's open tickets were last counted in the tracker and the mirror."""

    def last_census(self, project: str) -> Census | None: ...

    def record_census(self, project: str, *, at: datetime, gap: int) -> None: ...


class CircuitBreakers(Protocol):
    """When the circuit breaker last reported a ticket (it says so once an hour)."""

    def breaker_reported_at(self, issue_key: str) -> datetime | None: ...

    def record_breaker_report(self, issue_key: str, at: datetime) -> None: ...


class InstallationKeys(Protocol):
    """Secrets this installation makes for itself once (Message-IDs, feedback links)."""

    def installation_key(self, name: str, candidate: str) -> str:
        """The key called `name`; the first call anywhere keeps `candidate` as it (two
        processes making one at once agree on the first)."""
        ...


class ConfigChecks(Protocol):
    """Which configuration (by fingerprint) last passed the check against a tracker."""

    def checked_fingerprint(self, tracker_url: str) -> str | None: ...

    def record_config_check(self, tracker_url: str, fingerprint: str) -> None: ...


class TrackerNotes(Protocol):
    """Small values a tracker adapter keeps about its tracker, in a shape only it reads (the
    Jira adapter's detected flavor, its own user, its clock's offset: `tracker.base.Notes`).
    The state's own values all have tables; this is what remains of the generic `meta` table."""

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


class DeliveryState(Outbox, DeliveryPauses, Protocol):
    """What delivering the outbox, or releasing it by hand, reads and writes."""
