"""Poll one project: backfill on the first run, then every change since the bookmark, once.

The search is bounded below by an absolute instant (epoch milliseconds, so the Jira account's
time zone cannot shift it), reaches back an overlap window for Jira's eventually consistent
index, has no upper bound, and is de-duplicated by changelog id. The bookmark moves only in the
transaction that records a page's effects, and never past the cycle's start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.config.loader import Config
from connector.domain import Change, Issue, Ticket
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
from connector.sync.derive import (
    MailSides,
    Vocabulary,
    events_from,
    last_status_entry,
    to_ticket,
)
from connector.tracker.base import Tracker
from connector.tracker.jira.fields import FieldCodec

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
    codec: FieldCodec
    vocabulary: Vocabulary
    overlap: timedelta = timedelta(minutes=5)
    page_size: int = 100
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
        since = bookmark.since - self.overlap
        recorded: list[Effect] = []
        for page in self.tracker.search_changed(self.project, since=since,
                                                page_size=self.page_size):
            recorded += self._page(page, ctx, started, bookmark)
        return recorded

    def backfill(self, started: datetime) -> None:
        """First run: mirror every open ticket (no events: old tickets get no messages)."""
        done = self.config.tracker_done_statuses()
        total = self.tracker.count(self.project, done_statuses=done)
        seen = 0
        for page in self.tracker.search_open(self.project, done_statuses=done,
                                             page_size=self.page_size):
            changes = self.tracker.changelogs([issue.id for issue in page])
            sides = self._mail_sides([c.id for i in page for c in i.comments])
            tickets = [self._ticket(issue, changes.get(issue.id, []), mail_sides=sides)
                       for issue in page]
            processed = [(c.id, i.id) for i in page for c in changes.get(i.id, [])]
            processed += [(f"created:{i.id}", i.id) for i in page]
            processed += [(f"comment:{c.id}", i.id) for i in page for c in i.comments]
            self.store.commit(Transaction(tickets=tickets, processed_changes=processed))
            seen += len(page)
            if self.progress:
                self.progress(seen, total)
        self.store.commit(Transaction(bookmark=Bookmark(self.project, started, True)))
        log.info("backfill complete", extra={"project": self.project, "tickets": seen})

    def _ticket(self, issue: Issue, changes: Sequence[Change], previous: Ticket | None = None,
                mail_sides: MailSides | None = None) -> Ticket:
        return to_ticket(issue, self.codec.read(issue), project=self.project,
                         vocabulary=self.vocabulary, previous=previous,
                         status_since=last_status_entry(changes), mail_sides=mail_sides or {})

    def _mail_sides(self, comment_ids: Sequence[str]) -> MailSides:
        return self.mail_comments(comment_ids) if self.mail_comments and comment_ids else {}

    def _page(self, page: list[Issue], ctx: Context, started: datetime,
              bookmark: Bookmark) -> list[Effect]:
        changes = self.tracker.changelogs([issue.id for issue in page])
        markers = [f"created:{i.id}" for i in page]
        markers += [f"comment:{c.id}" for i in page for c in i.comments]
        all_ids = [c.id for i in page for c in changes.get(i.id, [])] + markers
        seen = self.store.seen_changes(all_ids)
        sides = self._mail_sides([c.id for i in page for c in i.comments])
        transaction = Transaction()
        for issue in page:
            history = changes.get(issue.id, [])
            fresh = [c for c in history if c.id not in seen]
            previous = self.store.ticket(issue.id)
            ticket = self._ticket(issue, history, previous, mail_sides=sides)
            is_new = f"created:{issue.id}" not in seen
            comments = [c for c in issue.comments if f"comment:{c.id}" not in seen]
            events = events_from(issue, fresh, self.vocabulary, is_new=is_new,
                                 comments=comments, customer=ticket.customer, mail_sides=sides)
            transaction.tickets.append(ticket)
            transaction.processed_changes += [(c.id, issue.id) for c in fresh]
            transaction.processed_changes += [(f"comment:{c.id}", issue.id) for c in comments]
            if is_new:
                transaction.processed_changes.append((f"created:{issue.id}", issue.id))
            planned = plan(self.config.rules.rules, ticket, events, ctx)
            transaction.effects += self.admit(planned, ctx.now)
        newest = max(issue.updated for issue in page)
        # Capped at the cycle's start: anything changed during this cycle is fetched again.
        transaction.bookmark = Bookmark(self.project, max(min(newest, started), bookmark.since),
                                        True)
        self.store.commit(transaction)
        return transaction.effects

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
        last = self.store.meta(f"circuit breaker {key}")
        if last is None or now - datetime.fromisoformat(last) >= timedelta(hours=1):
            log.warning("circuit breaker: %s had %d actions in the last hour (limit %d); "
                        "skipping %d more from rules %s", key, recent, self.max_actions_per_hour,
                        len(actions), sorted({a.rule for a in actions}),
                        extra={"ticket": key})
            self.store.set_meta(f"circuit breaker {key}", now.isoformat())
