"""Poll one project: backfill on the first run, then every change since the bookmark, once.

The tracker's change feed yields pages of changed tickets with their history, each with the
bookmark to keep once its effects are recorded; the bookmark is the adapter's own text, kept
here in the transaction that records the page's effects. Changes and comments are
de-duplicated by id, so a feed that repeats some (Jira's overlap window does) doubles nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.config.loader import Config
from connector.domain import Ticket
from connector.engine.conditions import Context
from connector.engine.planner import PlannedAction, plan
from connector.engine.replay import definition, digest
from connector.state.base import (
    ActionIdentity,
    Bookmark,
    Effect,
    EffectStatus,
    StateStore,
    Transaction,
    TriggerEvent,
)
from connector.sync.derive import MailSides, Vocabulary, events_from, to_ticket
from connector.tracker.base import Tracker
from connector.tracker.feed import FeedPage, TicketChanges, last_status_entry

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
# Which of these comment ids ticketflow posted for a person's mail, and that person's side
# (mail intake's record; see connector.state.intake).
MailCommentLookup = Callable[[Sequence[str]], MailSides]


def ledger_row(action: PlannedAction, *, now: datetime, status: EffectStatus = "pending",
               detail: str = "") -> Effect:
    """The ledger row of a planned action: its key, and what a replay must find again (the
    rule's action at that index, with the same digest) and the event that fired it."""
    text = definition(action.action)
    event = action.event
    return Effect(action.effect_key, action.issue_key, action.rule,
                  f"{action.index}:{action.name}", event.trigger, status=status,
                  detail=detail, created_at=now,
                  identity=ActionIdentity(action.index, action.name, text, digest(text)),
                  event=TriggerEvent(event.kind, event.at, event.from_status, event.to_status,
                                     event.by, event.field, action.ticket_status,
                                     action.status_since))


@dataclass
class Poller:
    """Turns tracker changes into mirror updates and recorded (pending) effects."""

    tracker: Tracker
    store: StateStore
    config: Config
    vocabulary: Vocabulary
    max_actions_per_hour: int = 20
    progress: Progress | None = None
    mail_comments: MailCommentLookup | None = None

    @property
    def project(self) -> str:
        return self.config.mappings.project

    def poll(self, ctx: Context, started: datetime) -> list[Effect]:
        """One pass over the project's changes; returns the effects it recorded."""
        bookmark = self.store.bookmark(self.project)
        if bookmark is None or not bookmark.backfilled:
            self.backfill(started)
            return []
        recorded: list[Effect] = []
        for page in self.tracker.changes(bookmark.position, now=started):
            recorded += self._page(page, ctx)
        return recorded

    def baseline(self) -> datetime | None:
        """When the first run took its census of open tickets (the tracker's clock): a ticket
        created since is new to ticketflow, an older one was there before it."""
        return self.store.baseline(self.project)

    def backfill(self, started: datetime) -> None:
        """First run: mirror every open ticket (no events: old tickets get no messages), then
        keep the feed's first bookmark and its baseline."""
        total = self.tracker.count_open()
        seen = 0
        for page in self.tracker.changes(None, now=started):
            if page.tickets:
                self._mirror_only(page.tickets)
                seen += len(page.tickets)
                if self.progress:
                    self.progress(seen, total)
            if page.baseline is not None:
                self.store.record_baseline(self.project, page.baseline)
            if page.bookmark is not None:
                self.store.commit(Transaction(bookmark=Bookmark(self.project, page.bookmark,
                                                                True)))
        log.info("backfill complete", extra={"project": self.project, "tickets": seen})

    def _mirror_only(self, tickets: Sequence[TicketChanges]) -> None:
        """Mirror these tickets and mark what they hold as processed: they raise no events."""
        sides = self._mail_sides([c.id for t in tickets for c in t.comments])
        mirrored = [self._ticket(t, mail_sides=sides) for t in tickets]
        processed = [(c.id, t.ticket.id) for t in tickets for c in t.changes]
        processed += [(f"created:{t.ticket.id}", t.ticket.id) for t in tickets]
        processed += [(f"comment:{c.id}", t.ticket.id) for t in tickets for c in t.comments]
        self.store.commit(Transaction(tickets=mirrored, processed_changes=processed))

    def repair(self, ctx: Context) -> tuple[list[Effect], int, int]:
        """The census saw a gap: fetch the open tickets and feed those the open mirror lacks
        through the rules as they would have been polled (ones it knows, and unknown ones
        created since the baseline), or mirror them only (unknown and older: they were there
        before ticketflow). Returns (the effects recorded, how many tickets were fed
        through, how many mirrored only)."""
        baseline, fed, mirrored = self.baseline(), 0, 0
        recorded: list[Effect] = []
        for page in self.tracker.changes(None, now=ctx.now):
            known = {t.ticket.id: self.store.ticket(t.ticket.id) for t in page.tickets}
            missing = [t for t in page.tickets if not _open(known[t.ticket.id])]
            new = [t for t in missing if known[t.ticket.id] is not None
                   or (baseline is not None and t.ticket.created >= baseline)]
            old = [t for t in missing if t not in new]
            if old:
                self._mirror_only(old)
            if new:
                transaction = Transaction()
                self._absorb(new, ctx, transaction)
                self.store.commit(transaction)
                recorded += transaction.effects
            fed, mirrored = fed + len(new), mirrored + len(old)
        return recorded, fed, mirrored

    def _ticket(self, changed: TicketChanges, previous: Ticket | None = None,
                mail_sides: MailSides | None = None) -> Ticket:
        return to_ticket(changed.ticket, project=self.project, vocabulary=self.vocabulary,
                         previous=previous, status_since=last_status_entry(changed.changes),
                         mail_sides=mail_sides or {})

    def _mail_sides(self, comment_ids: Sequence[str]) -> MailSides:
        return self.mail_comments(comment_ids) if self.mail_comments and comment_ids else {}

    def _page(self, page: FeedPage, ctx: Context) -> list[Effect]:
        transaction = Transaction()
        self._absorb(page.tickets, ctx, transaction)
        if page.bookmark is not None:
            transaction.bookmark = Bookmark(self.project, page.bookmark, True)
        self.store.commit(transaction)
        return transaction.effects

    def _absorb(self, tickets: Sequence[TicketChanges], ctx: Context,
                transaction: Transaction) -> None:
        """Mirror the tickets, turn what was not processed yet into events, plan the rules
        and admit their actions, all into `transaction`."""
        markers = [f"created:{t.ticket.id}" for t in tickets]
        markers += [f"comment:{c.id}" for t in tickets for c in t.comments]
        seen = self.store.seen_changes([c.id for t in tickets for c in t.changes] + markers)
        sides = self._mail_sides([c.id for t in tickets for c in t.comments])
        for changed in tickets:
            tracked = changed.ticket
            fresh = [c for c in changed.changes if c.id not in seen]
            ticket = self._ticket(changed, self.store.ticket(tracked.id), mail_sides=sides)
            is_new = f"created:{tracked.id}" not in seen
            comments = [c for c in tracked.comments if f"comment:{c.id}" not in seen]
            events = events_from(tracked, fresh, self.vocabulary, is_new=is_new,
                                 comments=comments, mail_sides=sides)
            transaction.tickets.append(ticket)
            transaction.processed_changes += [(c.id, tracked.id) for c in fresh]
            transaction.processed_changes += [(f"comment:{c.id}", tracked.id) for c in comments]
            if is_new:
                transaction.processed_changes.append((f"created:{tracked.id}", tracked.id))
            planned = plan(self.config.rules.rules, ticket, events, ctx)
            transaction.effects += self.admit(planned, ctx.now)

    def admit(self, planned: list[PlannedAction], now: datetime) -> list[Effect]:
        """Ledger rows for the planned actions, minus those the circuit breaker stops."""
        effects = []
        by_issue: dict[str, list[PlannedAction]] = {}
        for action in planned:
            if self.store.effect(action.effect_key) is None:
                by_issue.setdefault(action.issue_key, []).append(action)
        for key, actions in by_issue.items():
            recent = self.store.effects_since(key, now - timedelta(hours=1))
            status: EffectStatus = "pending"
            detail = ""
            if recent + len(actions) > self.max_actions_per_hour:
                self._trip(key, recent, actions, now)
                status, detail = "skipped", "circuit breaker: too many actions this hour"
            effects += [ledger_row(a, now=now, status=status, detail=detail) for a in actions]
        return effects

    def _trip(self, key: str, recent: int, actions: list[PlannedAction], now: datetime) -> None:
        """Say so once an hour per ticket, across processes (cron runs each cycle anew)."""
        last = self.store.breaker_reported_at(key)
        if last is None or now - last >= timedelta(hours=1):
            log.warning("circuit breaker: %s had %d actions in the last hour (limit %d); "
                        "skipping %d more from rules %s", key, recent, self.max_actions_per_hour,
                        len(actions), sorted({a.rule for a in actions}),
                        extra={"ticket": key})
            self.store.record_breaker_report(key, now)


def _open(ticket: Ticket | None) -> bool:
    return ticket is not None and ticket.open
