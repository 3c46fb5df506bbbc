"""Poll one project: backfill on the first run, then every change since the bookmark, once.

The search is bounded below by an absolute instant (epoch milliseconds, so the Jira account's
time zone cannot shift it), reaches back an overlap window for Jira's eventually consistent
index, has no upper bound, and is de-duplicated by changelog id. The bookmark moves only in the
transaction that records a page's effects, and never past the cycle's start. Every bookmark is
an instant of the tracker's clock (which stamps `updated`), not the host's: the first one is
the tracker's `server_time()`, and the host's offset from it is kept to cap later ones.
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
    measured_at: datetime | None = None  # when this process last asked the tracker's time

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
        cap = self.tracker_time(started)
        recorded: list[Effect] = []
        for page in self.tracker.search_changed(self.project, since=since,
                                                page_size=self.page_size):
            recorded += self._page(page, ctx, cap, bookmark)
        return recorded

    def tracker_time(self, host: datetime) -> datetime:
        """A host instant on the tracker's clock, by the offset measured at the backfill and
        at each census (none measured yet: the host's own)."""
        offset = self.store.project_clock(self.project).offset_seconds
        return host + timedelta(seconds=offset) if offset is not None else host

    def measure_clock(self, host: datetime) -> datetime:
        """Ask the tracker its time, keep its offset from the host's, and return it."""
        theirs = self.tracker.server_time()
        self.measured_at = host
        offset = (theirs - host).total_seconds()
        self.store.record_clock_offset(self.project, round(offset, 3), measured_at=host)
        if abs(offset) > self.overlap.total_seconds():
            log.warning("the tracker's clock is %+.0f s from this host's; bookmarks follow the "
                        "tracker's", offset, extra={"project": self.project, "offset": offset})
        return theirs

    def baseline(self) -> datetime | None:
        """When the first run took its census of open tickets (the tracker's clock): a ticket
        created since is new to ticketflow, an older one was there before it."""
        return self.store.project_clock(self.project).baseline

    def backfill(self, started: datetime) -> None:
        """First run: mirror every open ticket (no events: old tickets get no messages). The
        bookmark is the tracker's time before the search, so a ticket created meanwhile (or
        in any gap between the host's clock and the tracker's) is polled as new."""
        baseline = self.measure_clock(started)
        self.store.record_baseline(self.project, baseline)
        done = self.config.tracker_done_statuses()
        total = self.tracker.count(self.project, done_statuses=done)
        seen = 0
        for page in self.tracker.search_open(self.project, done_statuses=done,
                                             page_size=self.page_size):
            self._mirror_only(page)
            seen += len(page)
            if self.progress:
                self.progress(seen, total)
        self.store.commit(Transaction(bookmark=Bookmark(self.project, baseline, True)))
        log.info("backfill complete", extra={"project": self.project, "tickets": seen})

    def _mirror_only(self, page: list[Issue]) -> None:
        """Mirror these tickets and mark what they hold as processed: they raise no events."""
        changes = self.tracker.changelogs([issue.id for issue in page])
        sides = self._mail_sides([c.id for i in page for c in i.comments])
        tickets = [self._ticket(issue, changes.get(issue.id, []), mail_sides=sides)
                   for issue in page]
        processed = [(c.id, i.id) for i in page for c in changes.get(i.id, [])]
        processed += [(f"created:{i.id}", i.id) for i in page]
        processed += [(f"comment:{c.id}", i.id) for i in page for c in i.comments]
        self.store.commit(Transaction(tickets=tickets, processed_changes=processed))

    def repair(self, ctx: Context) -> tuple[list[Effect], int, int]:
        """The census saw a gap: fetch the open tickets and feed those the open mirror lacks
        through the rules as they would have been polled (ones it knows, and unknown ones
        created since the baseline), or mirror them only (unknown and older: they were there
        before ticketflow). Returns (the effects recorded, how many tickets were fed
        through, how many mirrored only)."""
        baseline, fed, mirrored = self.baseline(), 0, 0
        recorded: list[Effect] = []
        done = self.config.tracker_done_statuses()
        for page in self.tracker.search_open(self.project, done_statuses=done,
                                             page_size=self.page_size):
            known = {i.id: self.store.ticket(i.id) for i in page}
            missing = [i for i in page if not _open(known[i.id])]
            new = [i for i in missing if known[i.id] is not None
                   or (baseline is not None and i.created >= baseline)]
            old = [i for i in missing if i not in new]
            if old:
                self._mirror_only(old)
            if new:
                transaction = Transaction()
                self._absorb(new, ctx, transaction)
                self.store.commit(transaction)
                recorded += transaction.effects
            fed, mirrored = fed + len(new), mirrored + len(old)
        return recorded, fed, mirrored

    def _ticket(self, issue: Issue, changes: Sequence[Change], previous: Ticket | None = None,
                mail_sides: MailSides | None = None) -> Ticket:
        return to_ticket(issue, self.codec.read(issue), project=self.project,
                         vocabulary=self.vocabulary, previous=previous,
                         status_since=last_status_entry(changes), mail_sides=mail_sides or {})

    def _mail_sides(self, comment_ids: Sequence[str]) -> MailSides:
        return self.mail_comments(comment_ids) if self.mail_comments and comment_ids else {}

    def _page(self, page: list[Issue], ctx: Context, cap: datetime,
              bookmark: Bookmark) -> list[Effect]:
        transaction = Transaction()
        self._absorb(page, ctx, transaction)
        newest = max(issue.updated for issue in page)
        # Capped at the cycle's start (on the tracker's clock): anything changed during this
        # cycle is fetched again.
        transaction.bookmark = Bookmark(self.project, max(min(newest, cap), bookmark.since), True)
        self.store.commit(transaction)
        return transaction.effects

    def _absorb(self, page: list[Issue], ctx: Context, transaction: Transaction) -> None:
        """Mirror the page's tickets, turn what was not processed yet into events, plan the
        rules and admit their actions, all into `transaction`."""
        changes = self.tracker.changelogs([issue.id for issue in page])
        markers = [f"created:{i.id}" for i in page]
        markers += [f"comment:{c.id}" for i in page for c in i.comments]
        all_ids = [c.id for i in page for c in changes.get(i.id, [])] + markers
        seen = self.store.seen_changes(all_ids)
        sides = self._mail_sides([c.id for i in page for c in i.comments])
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
