"""The due index: a cycle evaluates only the tickets whose time rules can fire (changed ones and
those come due) and plans exactly what evaluating every open ticket would plan."""

from __future__ import annotations

import random
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.app import Service, build
from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.conditions import Context
from connector.engine.events import schedule_event
from connector.engine.planner import plan
from connector.settings import Settings
from connector.state.base import Transaction
from connector.state.timestamps import from_text
from connector.tracker.fake import FakeTracker
from connector.tracker.values import NewTicket, Person, WorkflowFields
from tests.unit.engine.due_cases import (
    CATEGORIES,
    LABELS,
    SHIPPED,
    START,
    STATUSES,
    cases,
    config_of,
    tickets,
)

ROOT = Path(__file__).resolve().parents[3]
CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO)
ALICE = Person("acc-alice", "alice@example.edu", "Alice")
BOB = Person("acc-bob", "bob@example.edu", "Bob")


@dataclass
class World:
    """One state file with a service over it (rebuilt, as a restart would, when the
    configuration changes) and a host clock."""

    folder: Path
    config: Config
    clock: SettableClock
    service: Service
    began: datetime
    dues: list[datetime] = field(default_factory=list)  # the due instants seen so far

    @classmethod
    def open(cls, folder: Path, config: Config, now: datetime) -> World:
        clock = SettableClock(now)
        return cls(folder, config, clock, cls._build(folder, config, clock), now)

    @staticmethod
    def _build(folder: Path, config: Config, clock: SettableClock) -> Service:
        settings = Settings(state_db=folder / "state.db", outbox_dir=folder / "outbox",
                            _env_file=None)  # type: ignore[call-arg]
        return build(config, settings, clock=clock,
                     tracker=FakeTracker.from_config(config, clock=clock))

    def restart_with(self, config: Config) -> None:
        self.service.close()
        self.config = config
        self.service = self._build(self.folder, config, self.clock)

    def write(self, ticket: Ticket, *, closed: bool = False) -> None:
        """A poll (or an action's write-back) stores the ticket."""
        self.service.store.commit(Transaction(
            tickets=[replace(ticket, open=not closed)]))

    def earliest_due(self) -> datetime | None:
        (value,) = self.service.store.db.execute(
            "SELECT min(due_at) FROM tickets WHERE open = 1 AND due_at > ''").fetchone()
        found = None if value is None else from_text(value)
        if found is not None:
            self.dues.append(found)
        return found

    def compare(self) -> int:
        """Plan by the index, by the full scan (which reads only the tickets some time rule's
        status, tier and category admit) and by planning every open ticket at the clock's
        instant: the same new actions. Returns how many."""
        now = self.clock.now()
        cycle = self.service.cycle
        ctx = Context(self.config, self.service.runtime.calendar, now)
        known = {key for (key,) in self.service.store.db.execute("SELECT effect_key FROM ledger")}
        full = sorted({action.effect_key for action in cycle.plan_time_rules(ctx)} - known)
        every = sorted({action.effect_key
                        for ticket in self.service.store.open_tickets(self.config.mappings.project)
                        for action in plan(cycle.time_rules(), ticket, [schedule_event(
                            ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                            now)], ctx)} - known)
        assert full == every, now
        indexed = sorted(effect.effect_key for effect in cycle.evaluate_time_rules(ctx))
        assert indexed == full, now
        return len(full)


def _changed(ticket: Ticket, what: int, now: datetime) -> Ticket:
    """The ticket after one thing happened to it now."""
    kinds = [
        {"status": STATUSES[(STATUSES.index(ticket.status) + 1) % 4], "status_since": now},
        {"tier": (ticket.tier or 1) % 3 + 1},
        {"category": CATEGORIES[what % 4]},
        {"labels": (LABELS[what % 3],)},
        {"last_customer_reply": now},
        {"assignee": None if ticket.assignee else "bob@example.edu"},
    ]
    return replace(ticket, updated=now, **kinds[what % len(kinds)])  # type: ignore[arg-type]


STEPS = ("advance", "advance", "advance", "to due", "just before due", "change", "change",
         "change", "close", "reopen", "new rules", "back", "back")


@pytest.mark.slow  # about 150 s: 400 histories, each over a state file of its own
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_the_due_index_plans_exactly_what_the_full_scan_plans(data: st.DataObject) -> None:
    """Over random tickets, time rules (every condition kind, nested), calendars (DST, odd
    hours, holidays) and histories (the clock advancing by a microsecond to days, landing on
    a due instant or just before it, tickets changing, closing and reopening, rules.yaml or
    the calendar changing, the clock going back): at every step the cycle's indexed
    evaluation records exactly the actions that planning every open ticket would add."""
    world_tickets = [data.draw(tickets(n), label=f"ticket {n}")
                     for n in range(data.draw(st.integers(1, 6), label="tickets"))]
    now = START + timedelta(seconds=data.draw(st.integers(-86400, 86400), label="start"))
    with tempfile.TemporaryDirectory() as folder:
        world = World.open(Path(folder), data.draw(cases(), label="case").config, now)
        try:
            for ticket in world_tickets:
                world.write(ticket)
            world.compare()
            rnd = data.draw(st.randoms(use_true_random=False), label="steps")
            for _ in range(rnd.randint(3, 12)):
                _step(world, world_tickets, data, rnd)
                world.compare()
        finally:
            world.service.close()


def _step(world: World, world_tickets: list[Ticket], data: st.DataObject,
          rnd: random.Random) -> None:
    # The kind of step from a seeded Random: hypothesis's own choices lean to the first kind.
    step = rnd.choice(STEPS)
    now = world.clock.now()
    due = world.earliest_due()
    if step == "advance":
        scale = rnd.choice([1, 10**6, 60 * 10**6, 3600 * 10**6])
        world.clock.advance(timedelta(microseconds=scale * rnd.randint(1, 48)))
    elif step in ("to due", "just before due") and due is not None and due > now:
        world.clock.set(due if step == "to due" else max(now, due - timedelta(microseconds=1)))
    elif step in ("change", "close", "reopen"):
        index = rnd.randrange(len(world_tickets))
        if step == "change":
            world_tickets[index] = _changed(world_tickets[index], rnd.randrange(12), now)
        world.write(world_tickets[index], closed=step == "close")
    elif step == "new rules":
        world.restart_with(data.draw(cases(), label="new rules").config)
    elif step == "back":  # `once --now` earlier: back to where the run began at most, now
        # and then onto an instant a ticket came due (a window that has since closed opens)
        passed = [at for at in world.dues if world.began <= at < now]
        world.clock.set(rnd.choice(passed) if passed and rnd.random() < 0.5
                        else now - (now - world.began) * rnd.uniform(0.01, 1))


# --- a deployment, step by step ---------------------------------------------------------


@dataclass
class Desk:
    """The shipped configuration in a folder of its own (editable), a FakeTracker, a state
    (a SQLite file, or a PostgreSQL schema); each cycle runs in a new service, as cron's
    `once` would."""

    folder: Path
    state: str
    clock: SettableClock
    tracker: FakeTracker

    @property
    def config(self) -> Config:
        return load_config(self.folder)

    def service(self) -> Service:
        settings = Settings(state_db=self.state, outbox_dir=self.folder / "outbox",
                            _env_file=None)  # type: ignore[call-arg]
        return build(self.config, settings, clock=self.clock, tracker=self.tracker)

    def cycle(self) -> list[str]:
        """One cycle; what its time rules recorded, as `KEY rule`."""
        service = self.service()
        try:
            report = service.cycle.sync()
        finally:
            service.close()
        return sorted({f"{e.issue_key} {e.rule}" for e in report.recorded
                       if e.event is not None and e.event.kind == "schedule"})

    def due(self, at: datetime) -> list[str]:
        """The keys of the tickets a cycle at `at` would evaluate for time rules."""
        service = self.service()
        try:
            return sorted(t.key for t in service.store.due_tickets("HELP", at))
        finally:
            service.close()

    def new_ticket(self, summary: str, status: str = "Reviewing") -> str:
        with self.tracker.acting_as(ALICE):
            key = self.tracker.create(NewTicket(summary, "", WorkflowFields(
                customer="pat@uni.example.edu")))
            self.tracker.update(key, WorkflowFields(status=status))
        return key


def _desk(tmp_path: Path, state: str) -> Desk:
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    clock = SettableClock(MONDAY)
    config = load_config(tmp_path)
    desk = Desk(tmp_path, state, clock, FakeTracker.from_config(config, clock=clock,
                                                                people=[ALICE, BOB]))
    desk.cycle()  # the first run: backfill
    return desk


def test_a_cycle_reads_only_the_tickets_that_changed_or_came_due(
        tmp_path: Path, state_location: str) -> None:
    """Three tickets waiting in Reviewing (tier 1: escalated after 4 business hours) come due
    at their own instants; between those, a cycle evaluates none of them, and each escalates
    in the first cycle after its instant."""
    desk = _desk(tmp_path, state_location)
    first = desk.new_ticket("Export fails")
    desk.clock.advance(timedelta(hours=1))
    second = desk.new_ticket("Report is empty")
    desk.clock.advance(timedelta(minutes=1))
    desk.cycle()              # polled and evaluated; acknowledged and categorised (a change)
    desk.clock.advance(timedelta(minutes=1))
    assert desk.due(desk.clock.now()) == [first, second]
    desk.cycle()              # evaluated again after the change; polled again, unchanged
    desk.clock.advance(timedelta(minutes=1))
    assert desk.due(desk.clock.now()) == []
    third = desk.new_ticket("Download stalls")
    for _ in range(2):        # the new one, evaluated; then again after its acknowledgement
        desk.clock.advance(timedelta(minutes=1))
        assert desk.cycle() == []
    desk.clock.set(MONDAY + timedelta(hours=4, minutes=1))
    assert desk.due(desk.clock.now()) == [first]
    assert desk.cycle() == [f"{first} escalate stale tier 1"]
    desk.clock.set(MONDAY + timedelta(hours=5, minutes=1))
    # The first again: its escalation changed it (tier 2, Assigned); tier 2 waits 2 days.
    assert desk.due(desk.clock.now()) == [first, second]
    assert desk.cycle() == [f"{second} escalate stale tier 1"]
    assert third not in desk.due(desk.clock.now())


def test_a_new_limit_in_rules_yaml_is_applied_to_every_ticket_at_the_next_cycle(
        tmp_path: Path, state_location: str) -> None:
    """A ticket evaluated under tier 1's 4 business hours is due at 13:00; the admin lowers
    the limit to 1 business hour at 10:30: the next cycle evaluates every ticket again and
    escalates it then, not at 13:00."""
    desk = _desk(tmp_path, state_location)
    key = desk.new_ticket("Export fails")
    desk.clock.advance(timedelta(minutes=1))
    desk.cycle()
    desk.clock.set(MONDAY + timedelta(hours=1, minutes=30))
    assert desk.cycle() == []
    rules = desk.folder / "rules.yaml"
    rules.write_text(rules.read_text().replace("escalate_after: 4 business hours",
                                               "escalate_after: 1 business hour"))
    desk.clock.advance(timedelta(minutes=1))
    assert desk.cycle() == [f"{key} escalate stale tier 1"]


def test_evaluating_as_of_an_earlier_time_evaluates_every_ticket(
        tmp_path: Path, state_location: str) -> None:
    """After a cycle at 15:00, `once --now` at 10:00 plans what a rule that holds only in the
    first two hours of a ticket's stay plans at 10:00 (the index was computed for later
    instants and is not trusted for earlier ones)."""
    desk = _desk(tmp_path, state_location)
    rules = desk.folder / "rules.yaml"
    rules.write_text(rules.read_text() + """
  - name: fresh in review
    on: schedule
    if: {status: Reviewing, time_in_status: {under: 2h}}
    then:
      - notify: {to: assignee, template: assigned_to_you}
""")
    desk.clock.set(MONDAY + timedelta(hours=6))
    key = desk.new_ticket("Export fails")        # entered Reviewing at 15:00
    desk.clock.advance(timedelta(hours=3))
    assert desk.cycle() == []                     # 18:00: past the two hours, never again
    desk.clock.set(MONDAY + timedelta(hours=6, minutes=30))
    assert desk.cycle() == [f"{key} fresh in review"]


def test_the_clock_going_back_evaluates_every_ticket_again(tmp_path: Path) -> None:
    """A ticket evaluated three hours on, past a rule's one-to-two-hour window, is never due
    again by the index; evaluated as of one hour on (`once --now` earlier), the window holds
    and the cycle plans it, as the full scan does."""
    rule = Rule.model_validate({"name": "window", "on": "schedule",
                                "if": [{"age": {"over": "1h", "under": "2h"}}],
                                "then": [{"notify": {"to": "customer", "template": "escalated"}}]})
    config = config_of([rule], SHIPPED.rules.calendar, SHIPPED.rules.tiers)
    ticket = Ticket(issue_id="10001", key="HELP-1", project="HELP", status="Reviewing",
                    status_since=START, created=START, updated=START)
    world = World.open(tmp_path, config, START)
    try:
        world.write(ticket)
        assert world.compare() == 0
        world.clock.set(START + timedelta(hours=3))
        assert world.compare() == 0
        world.clock.set(START + timedelta(hours=1, minutes=30))
        assert world.compare() == 1
    finally:
        world.service.close()
