"""Poll the projects: backfill on the first run, then every change since the bookmark, once.

The tracker's change feed yields pages of changed tickets with their history, each with the
bookmark to keep once its effects are recorded; the bookmark is the adapter's own text, kept
here in the transaction that records the page's effects. Changes and comments are
de-duplicated by id, so a feed that repeats some (Jira's overlap window does) doubles nothing.

Several projects share one feed (one search across them) and so one position, kept in each
project's bookmark row; the default (first) project's row is written with the page's effects.
A project added to mappings.yaml later is backfilled on its own (its open tickets mirrored,
none of them messaged) and then joins the feed at the others' position.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
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
from connector.tracker.base import SupportsMirroredChanges, SupportsProjects, Tracker
from connector.tracker.feed import FeedPage, TicketChanges, last_status_entry
from connector.tracker.values import Comment

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
# Which of these comment ids ticketflow posted for a person's mail, and that person's side
# (mail intake's record; see connector.state.intake).
MailCommentLookup = Callable[[Sequence[str]], MailSides]
# Which of these ticket keys ticketflow's own mail intake created (connector.state.intake).
MailTicketLookup = Callable[[Sequence[str]], set[str]]


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
    mail_tickets: MailTicketLookup | None = None

    @property
    def project(self) -> str:
        """The default project (the first of mappings.yaml)."""
        return self.config.mappings.project

    @property
    def projects(self) -> tuple[str, ...]:
        return self.config.mappings.projects

    def poll(self, ctx: Context, started: datetime) -> list[Effect]:
        """One pass over the projects' changes; returns the effects it recorded."""
        marks = {p: self.store.bookmark(p) for p in self.projects}
        done = [m for m in marks.values() if m is not None and m.backfilled]
        behind = [p for p, m in marks.items() if m is None or not m.backfilled]
        if behind:
            return self.backfill(ctx, started, only=behind if done else None,
                                 joining=done[0].position if done else None)
        recorded: list[Effect] = []
        for page in self._changes(done[0].position, started):
            recorded += self._page(page, ctx)
        return recorded

    def _changes(self, bookmark: str, started: datetime) -> Iterator[FeedPage]:
        """The feed since the bookmark; where the tracker can, without the tickets the mirror
        holds as they are (recorded with their changes: nothing in them is new)."""
        if isinstance(self.tracker, SupportsMirroredChanges):
            return self.tracker.changes_after(bookmark, now=started, mirrored=self._mirrored)
        return self.tracker.changes(bookmark, now=started)

    def _mirrored(self, ticket_ids: Sequence[str]) -> dict[str, datetime]:
        """The `updated` the mirror holds for these tickets."""
        held = (self.store.ticket(ticket_id) for ticket_id in ticket_ids)
        return {ticket.issue_id: ticket.updated for ticket in held if ticket is not None}

    def baseline(self, project: str | None = None) -> datetime | None:
        """When the first run took its census of a project's open tickets (the tracker's
        clock; the default project's when not named): a ticket created since is new to
        ticketflow, an older one was there before it."""
        return self.store.baseline(project or self.project)

    def _before_ticketflow(self, tickets: Sequence[TicketChanges]) -> list[TicketChanges]:
        """Of a project that joined the feed at the others' older position: the completed
        tickets the mirror does not know, last changed before the project's backfill. The
        backfill read only open tickets; these were done before ticketflow came and raise no
        events. (An open one missed by the backfill, as Jira's lagging index may, is new.)"""
        joined: dict[str, datetime | None] = {}
        found = []
        for changed in tickets:
            ticket = changed.ticket
            project = ticket.project or self.project
            if project not in joined:
                # "joined" stays a tracker note (meta): no typed table fits a mark of presence.
                joined[project] = (self.baseline(project)
                                   if self.store.meta(f"joined {project}") else None)
            since = joined[project]
            if (since is not None and ticket.updated < since
                    and ticket.status in self.vocabulary.done_statuses
                    and self.store.ticket(ticket.id) is None):
                found.append(changed)
        return found

    def backfill(self, ctx: Context, started: datetime, *, only: Sequence[str] | None = None,
                 joining: str | None = None) -> list[Effect]:
        """First run: mirror every open ticket (no events: old tickets get no messages), then
        keep the feed's first bookmark and its baseline. Tickets ticketflow's own mail intake
        created (in this run, before the poll) are new requests, not backlog: they are fed
        through the rules. With `only`, just those projects (added since): they then join the
        feed at the others' position, `joining`. Returns the effects that recorded."""
        projects = list(only or self.projects)
        tracker = self.tracker
        if only is not None and isinstance(tracker, SupportsProjects):
            tracker = tracker.scoped(projects)
        else:  # a tracker that cannot read a project alone backfills them all again
            projects, joining = list(self.projects), None
        total, seen = tracker.count_open(), 0
        recorded: list[Effect] = []
        for page in tracker.changes(None, now=started):
            if page.tickets:
                recorded += self._feed_or_mirror(page.tickets, ctx,
                                                 fresh=self._from_mail(page.tickets))
                seen += len(page.tickets)
                if self.progress:
                    self.progress(seen, total)
            for project in projects:
                if page.baseline is not None:
                    self.store.record_baseline(project, page.baseline)
                if page.bookmark is not None:
                    self._keep(project, joining or page.bookmark)
                    if joining is not None:
                        self.store.set_meta(f"joined {project}", joining)
        log.info("backfill complete", extra={"project": ", ".join(projects), "tickets": seen})
        return recorded

    def _keep(self, project: str, position: str) -> None:
        self.store.commit(Transaction(bookmark=Bookmark(project, position, True)))

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
        through the rules as they would have been polled (ones it knows, unknown ones created
        since the baseline, and ones its mail intake created), or mirror them only (unknown
        and older: they were there before ticketflow). Returns (the effects recorded, how
        many tickets were fed through, how many mirrored only)."""
        baseline, fed, missed = self.baseline(), 0, 0
        recorded: list[Effect] = []
        for page in self.tracker.changes(None, now=ctx.now):
            known = {t.ticket.id: self.store.ticket(t.ticket.id) for t in page.tickets}
            missing = [t for t in page.tickets if not _open(known[t.ticket.id])]
            fresh = {t.ticket.id for t in missing if known[t.ticket.id] is not None
                     or (baseline is not None and t.ticket.created >= baseline)}
            fresh |= self._from_mail(missing)
            recorded += self._feed_or_mirror(missing, ctx, fresh=fresh)
            fed, missed = fed + len(fresh), missed + len(missing)
        return recorded, fed, missed - fed

    def _from_mail(self, tickets: Sequence[TicketChanges]) -> set[str]:
        """The ids of the tickets among these that ticketflow's mail intake created."""
        if self.mail_tickets is None or not tickets:
            return set()
        made = self.mail_tickets([t.ticket.key for t in tickets])
        return {t.ticket.id for t in tickets if t.ticket.key in made}

    def _feed_or_mirror(self, tickets: Sequence[TicketChanges], ctx: Context, *,
                        fresh: set[str]) -> list[Effect]:
        """Feed the tickets whose ids are in `fresh` through the rules as a poll would;
        mirror the others only (backlog: no messages). Returns the effects recorded."""
        old = [t for t in tickets if t.ticket.id not in fresh]
        if old:
            self._mirror_only(old)
        if not fresh:
            return []
        transaction = Transaction()
        self._absorb([t for t in tickets if t.ticket.id in fresh], ctx, transaction)
        self.store.commit(transaction)
        return transaction.effects

    def _ticket(self, changed: TicketChanges, previous: Ticket | None = None,
                mail_sides: MailSides | None = None) -> Ticket:
        return to_ticket(changed.ticket, project=changed.ticket.project or self.project,
                         vocabulary=self.vocabulary,
                         previous=previous, status_since=last_status_entry(changed.changes),
                         mail_sides=mail_sides or {})

    def _mail_sides(self, comment_ids: Sequence[str]) -> MailSides:
        return self.mail_comments(comment_ids) if self.mail_comments and comment_ids else {}

    def _page(self, page: FeedPage, ctx: Context) -> list[Effect]:
        transaction = Transaction()
        older = self._before_ticketflow(page.tickets)
        if older:
            self._mirror_only(older)
        skip = {t.ticket.id for t in older}
        self._absorb([t for t in page.tickets if t.ticket.id not in skip], ctx, transaction)
        if page.bookmark is not None:
            transaction.bookmark = Bookmark(self.projects[0], page.bookmark, True)
        self.store.commit(transaction)
        if page.bookmark is not None:  # the others' rows: the same position, for /metrics
            for project in self.projects[1:]:
                self._keep(project, page.bookmark)
        return transaction.effects

    def _absorb(self, tickets: Sequence[TicketChanges], ctx: Context,
                transaction: Transaction) -> None:
        """Mirror the tickets, turn what was not processed yet into events, plan the rules
        and admit their actions, all into `transaction`."""
        markers = [f"created:{t.ticket.id}" for t in tickets]
        markers += [f"comment:{c.id}" for t in tickets for c in t.comments]
        seen = self.store.seen_changes([c.id for t in tickets for c in t.changes] + markers)
        brought = {c.id for t in tickets for c in t.comments}
        tickets = [self._every_comment(t, seen) for t in tickets]
        sides = self._mail_sides([c.id for t in tickets for c in t.comments])
        for changed in tickets:
            tracked = changed.ticket
            fresh = [c for c in changed.changes if c.id not in seen]
            previous = self.store.ticket(tracked.id)
            ticket = self._ticket(changed, previous, mail_sides=sides)
            is_new = f"created:{tracked.id}" not in seen
            unseen = [c for c in tracked.comments if f"comment:{c.id}" not in seen]
            comments = [c for c in unseen if is_new or c.id in brought or _since(c, previous)]
            events = events_from(tracked, fresh, self.vocabulary, is_new=is_new,
                                 comments=comments, mail_sides=sides)
            transaction.tickets.append(ticket)
            transaction.processed_changes += [(c.id, tracked.id) for c in fresh]
            transaction.processed_changes += [(f"comment:{c.id}", tracked.id) for c in unseen]
            if is_new:
                transaction.processed_changes.append((f"created:{tracked.id}", tracked.id))
            planned = plan(self.config.rules.rules, ticket, events, ctx)
            transaction.effects += self.admit(planned, ctx.now)

    def _every_comment(self, changed: TicketChanges, seen: set[str]) -> TicketChanges:
        """The ticket with every comment when its read brought only the newest (Jira: 20)
        and even the oldest of those is new: more may have come since the last poll, so all
        are read, paged; `seen` gains those of them processed before."""
        tracked = changed.ticket
        brought = tracked.comments
        if tracked.comments_complete or (brought and f"comment:{brought[0].id}" in seen):
            return changed
        every = tuple(self.tracker.comments(tracked.key))
        seen |= self.store.seen_changes([f"comment:{c.id}" for c in every])
        return replace(changed, ticket=replace(tracked, comments=every, comments_complete=True))

    def admit(self, planned: list[PlannedAction], now: datetime) -> list[Effect]:
        """Ledger rows for the planned actions, minus those the circuit breaker stops."""
        effects = []
        by_issue: dict[str, list[PlannedAction]] = {}
        known = self.store.recorded(action.effect_key for action in planned)
        for action in planned:
            if action.effect_key not in known:
                by_issue.setdefault(action.issue_key, []).append(action)
        counts = self.store.effects_since(by_issue, now - timedelta(hours=1))
        for key, actions in by_issue.items():
            recent = counts.get(key, 0)
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


def _since(comment: Comment, previous: Ticket | None) -> bool:
    """A comment read beyond the newest a read brings came after the mirror's last read of
    its ticket (or there was none): one from before, not processed then, is older than what
    ticketflow watches (it was beyond the newest when the first run mirrored the ticket)."""
    return previous is None or comment.created > previous.updated


def _open(ticket: Ticket | None) -> bool:
    return ticket is not None and ticket.open
