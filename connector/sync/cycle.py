"""One cycle: poll the tracker, take the census, evaluate time rules on the mirror, perform,
then deliver."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import chain, islice

from connector.actions.runtime import Runtime
from connector.clock import Clock
from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.candidates import time_rule_candidates
from connector.engine.conditions import Context
from connector.engine.due import held_since, next_due
from connector.engine.events import schedule_event
from connector.engine.planner import PlannedAction, plan
from connector.errors import RetriableError
from connector.state.base import Effect, StateStore, Transaction
from connector.state.concerns import DueBasis
from connector.state.rows import gc_paused
from connector.sync.perform import Performed, Reporter, perform_pending
from connector.sync.poll import Poller
from connector.tracker.base import SupportsFeedLag

log = logging.getLogger(__name__)
# Over a tracker's feed lag, when counting the changes a census may not see yet: the
# tracker's and this host's clocks, and whole minutes of its search.
LAG_MARGIN = timedelta(minutes=1)

_DUE_PAGE = 500  # tickets evaluated per transaction of the time-rule pass


def plan_ticket(rules: list[Rule], ticket: Ticket, ctx: Context) -> list[PlannedAction]:
    """The time rules' actions for one ticket now: its time-passing event through the
    planner (keyed by its entry into its status, so each fires once per stay)."""
    tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                          ctx.now)
    return plan(rules, ticket, [tick], ctx)


def _fell_due_order(named: Mapping[str, Rule], ticket: Ticket, actions: list[PlannedAction],
                    ctx: Context) -> tuple[datetime, datetime, datetime, tuple[str | int, ...]]:
    """The order a page's tickets are recorded, and so performed, in: as their actions fell
    due, then the one waiting longest, the older ticket, the lower number. A pick such as
    least_loaded counts the picks made for actions that fell due before it (or at the same
    instant, before it), so the order must not be the due index's by tracker id, whose text
    sorts "105" before "82" on Zendesk and HELP-82 before HELP-105 on Jira."""
    fell = [held_since(named[a.rule], ticket, ctx) for a in actions if a.rule in named]
    first = min((at for at in fell if at is not None), default=ctx.now)
    number = tuple(int(part) if part.isdigit() else part
                   for part in re.split(r"(\d+)", ticket.key))
    return first, ticket.status_since, ticket.created, number


@dataclass
class CycleReport:
    """What one cycle did, for `once`, the demo's timeline and metrics."""

    started: datetime
    recorded: list[Effect] = field(default_factory=list)
    performed: list[Performed] = field(default_factory=list)
    census: tuple[int, int] | None = None

    def counts(self) -> dict[str, int]:
        """How the performed effects ended, by status (done, skipped, blocked, ...)."""
        counted: dict[str, int] = {}
        for item in self.performed:
            counted[item.status] = counted.get(item.status, 0) + 1
        return counted

    def summary(self) -> str:
        """`3 done, 1 skipped, 2 blocked (waiting for a configuration fix)`: each outcome
        apart, since a skip, a wait and a failure call for different things."""
        counted = self.counts()
        words = {"blocked": "blocked (waiting for a configuration fix)",
                 "superseded": "superseded (rules.yaml changed; not performed)"}
        order = ("done", "skipped", "blocked", "failed", "superseded")
        parts = [f"{counted[s]} {words.get(s, s)}" for s in order if counted.get(s)]
        return ", ".join(parts) or "nothing performed"


@dataclass
class Cycle:
    """The steps of one cycle, in the order product.md gives them."""

    poller: Poller
    store: StateStore
    runtime: Runtime
    clock: Clock
    report: Reporter | None = None
    # Mail intake (the redcap_helpdesk mailbox): runs first, so new tickets and replies are
    # in the tracker before the poll reads it.
    ingest: Callable[[datetime], object] | None = None
    deliver: Callable[[datetime], object] | None = None
    # Before each step that acts: raises OwnershipError when this ticketflow may act no more
    # (another owns the tracker, or its state file is gone).
    guard: Callable[[], None] | None = None
    census_interval: timedelta = timedelta(hours=1)

    def run(self) -> CycleReport:
        """All steps once, in order: what `ticketflow once` (cron) does. Mail intake and
        delivery report trouble instead of raising; after every step has run, it is raised
        here so a cron run that left mail behind (mailbox refused, the tracker unavailable) or
        found delivery stuck (the SMTP server down) exits 1."""
        mail = self.read_mail()
        result = self.sync()
        delivered = self.deliver_mail()
        trouble = [f"{step} {text}" for step, text in (
            ("mail intake", getattr(mail, "error", "")),
            ("delivery stuck:", getattr(delivered, "error", ""))) if text]
        if trouble:
            raise RetriableError("; ".join(trouble))
        return result

    def read_mail(self) -> object:
        """Turn new mail into tickets and comments (the service runs this on its own timer).
        Returns intake's report: mailbox trouble is reported there, not raised."""
        if self.ingest is not None:
            if self.guard is not None:
                self.guard()
            return self.ingest(self.clock.now())
        return None

    def sync(self) -> CycleReport:
        """Poll the tracker, evaluate the rules (time rules on the mirror) and perform the
        actions."""
        if self.guard is not None:
            self.guard()
        started = self.clock.now()
        result = CycleReport(started)
        ctx = Context(self.runtime.config, self.runtime.calendar, started)
        result.recorded += self.poller.poll(ctx, started)
        if self._census_due(started):
            # Before the time rules and perform: tickets the census feeds through are acted
            # on in this cycle.
            result.census = self.census(ctx, repaired=result.recorded)
        result.recorded += self.evaluate_time_rules(ctx)
        # Perform everything recorded, including what a crashed run left, only now: a pick
        # such as least-loaded then sees the same fully polled mirror whether or not this
        # cycle is a rerun (the fault-equivalence run found picks made before the poll).
        result.performed += perform_pending(self.store, self.runtime, started, self.report)
        return result

    def deliver_mail(self) -> object:
        """Send the messages that are due. Returns delivery's report: a stuck delivery (the
        server down, delivery paused) is reported there, not raised."""
        if self.deliver is not None:
            return self.deliver(self.clock.now())
        return None

    def _census_due(self, now: datetime) -> bool:
        """Hourly, across processes (cron runs `once` in a new process every time)."""
        last = self.store.last_census(self.poller.project)
        return last is None or now - last.taken_at >= self.census_interval

    def time_rules(self) -> list[Rule]:
        """The `on: schedule` rules: evaluated on the mirror, not on tracker events."""
        return [r for r in self.runtime.config.rules.rules if r.on.kind == "schedule"]

    def _changed_within_lag(self, polled: datetime) -> int | None:
        """How many tickets changed since the feed's cutoff (its lag before the poll at
        `polled`, up to now); None for a tracker whose feed does not lag. Each such change
        moves the open count by at most one, and a later census sees it through the feed."""
        tracker = self.poller.tracker
        if not isinstance(tracker, SupportsFeedLag):
            return None
        since_poll = max(self.clock.now() - polled, timedelta(0))
        return tracker.count_changed_within(tracker.feed_lag + since_poll + LAG_MARGIN)

    def plan_time_rules(self, ctx: Context) -> list[PlannedAction]:
        """The full scan: `on: schedule` rules against every open ticket of the mirror, no
        tracker request. What the due index must always agree with (a property test holds
        them equal), and the bench's worst case."""
        rules = self.time_rules()
        if not rules:
            return []
        ctx = replace(ctx, explain=False)  # once here, not once per ticket in plan()
        among = time_rule_candidates(rules)  # the others cannot fire: left unread
        tickets = (t for p in self.poller.projects for t in self.store.open_tickets(p, among))
        # A pass makes hundreds of thousands of objects and no cycles: the cyclic GC, run
        # every 700 of them over a heap that keeps growing, would cost a tenth of it.
        with gc_paused():
            return [action for ticket in tickets for action in plan_ticket(rules, ticket, ctx)]

    def evaluate_time_rules(self, ctx: Context) -> list[Effect]:
        """Plan the time rules for the tickets the due index names (changed since their last
        evaluation, or come due) and record what is new in the ledger, with when each of those
        tickets is next due, a page of tickets per transaction."""
        rules = self.time_rules()
        ctx = replace(ctx, explain=False)
        recorded: list[Effect] = []
        named = {rule.name: rule for rule in rules}  # for the order a page is recorded in
        tickets = self._due_tickets(ctx.now)
        while page := list(islice(tickets, _DUE_PAGE)):
            by_ticket: list[tuple[Ticket, list[PlannedAction]]] = []
            due: dict[str, datetime | None] = {}
            for ticket in page:
                by_ticket.append((ticket, plan_ticket(rules, ticket, ctx)))
                due[ticket.issue_id] = next_due(rules, ticket, ctx)
            by_ticket.sort(key=lambda pair: _fell_due_order(named, pair[0], pair[1], ctx))
            planned = [action for _, actions in by_ticket for action in actions]
            effects = self.poller.admit(planned, ctx.now)
            self.store.commit(Transaction(effects=effects, due=due))
            recorded += effects
        return recorded

    def _due_tickets(self, now: datetime) -> Iterator[Ticket]:
        """The tickets due now, of every project. The index holds for the configuration (by
        its fingerprint) it was computed with, and only forward in time (`--now` may go back):
        otherwise every ticket is due once, and evaluating them all rebuilds it."""
        fingerprint = self.runtime.config.fingerprint()
        for project in self.poller.projects:
            basis = self.store.due_basis(project)
            same_rules = basis is not None and basis.fingerprint == fingerprint
            went_back = basis is not None and now < basis.through
            if not same_rules or went_back:
                log.info("time rules: every open ticket is evaluated once (%s)",
                         "the clock went back" if same_rules
                         else "the rules, the calendar or ticketflow changed",
                         extra={"project": project})
            # A rebuild evaluates the tickets a time rule could fire for; the rest are due
            # never, until they change.
            self.store.rebase_due(project, DueBasis(fingerprint, now),
                                  reset=not same_rules or went_back,
                                  among=time_rule_candidates(self.time_rules()))
        return chain.from_iterable(self.store.due_tickets(p, now) for p in self.poller.projects)

    def census(self, ctx: Context | None = None,
               repaired: list[Effect] | None = None) -> tuple[int, int]:
        """Open tickets in the tracker vs in the mirror. A difference is logged loudly and
        repaired: the open tickets the mirror lacks are fetched and fed through (new ones)
        or mirrored (ones older than the first run); the effects that records are added to
        `repaired`. On a tracker whose feed lags (Zendesk), a difference no larger than the
        tickets changed within the lag is no gap: the feed brings them next time. Returns the
        counts before the repair."""
        project = ", ".join(self.poller.projects)
        ctx = ctx or Context(self.runtime.config, self.runtime.calendar, self.clock.now())
        tracker_count = self.poller.tracker.count_open()  # across the projects: one request
        mirror_count = sum(self.store.count_open(p) for p in self.poller.projects)
        gap = tracker_count - mirror_count
        changed = self._changed_within_lag(ctx.now) if gap else None
        if changed is not None and abs(gap) <= changed:
            log.info("census: %d open tickets in the tracker, %d in the mirror, and %d changed "
                     "within the change feed's lag: no gap (the next census sees them)",
                     tracker_count, mirror_count, changed, extra={"project": project})
            gap = 0
        # One census counts every project, so it is kept under the default project's name
        # (where `_census_due` looks for it, and the metric sums one gap).
        self.store.record_census(self.poller.project, at=ctx.now, gap=gap)
        if gap:
            log.warning("census gap: %d open tickets in the tracker, %d in the mirror",
                        tracker_count, mirror_count,
                        extra={"project": project, "gap": tracker_count - mirror_count})
            effects, fed, mirrored = self.poller.repair(ctx)
            log.warning("census repair: %d missing tickets fed through the rules, %d older ones "
                        "mirrored only", fed, mirrored, extra={"project": project})
            if repaired is not None:
                repaired += effects
        return tracker_count, mirror_count
