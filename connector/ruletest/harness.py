"""One case's world: the service `connector.app` builds, against the in-memory tracker.

It is built as `once` builds it, with a state file and a Maildir in a temporary folder; no
network, and no delivery (the outbox rows are the messages).

This is the one module of `connector/ruletest/` that touches the tracker fake or the service
wiring: when the tracker boundary or `app.build` change shape, this is what adapts.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from connector.app import Service, build
from connector.clock import SettableClock
from connector.config.loader import Config
from connector.config.models import Calendar
from connector.domain import Issue, Ticket, User
from connector.engine.calendar import BusinessCalendar
from connector.engine.conditions import Context
from connector.engine.events import Event
from connector.errors import RetriableError, UsageError
from connector.ruletest.people import People
from connector.ruletest.timing import cycle_after, next_due
from connector.settings import embedded_settings
from connector.state.base import Effect, EffectStatus, OutboxMessage, OutboxStatus
from connector.state.intake import IntakeStore, MailRecord
from connector.sync.cycle import CycleReport
from connector.sync.derive import events_from
from connector.tracker.fake import FakeTracker
from connector.tracker.jira.fields import FieldCodec

_EVERY_EFFECT: tuple[EffectStatus, ...] = ("pending", "blocked", "done", "failed", "skipped",
                                           "superseded")
_EVERY_MESSAGE: tuple[OutboxStatus, ...] = ("pending", "sent", "failed", "dropped")
# A cycle after which ticketflow changed the tracker is followed by another at the same
# instant, so the mirror sees its own changes (the service's next poll, a minute later, would).
_SETTLE_CYCLES = 10
MAX_ADVANCE_CYCLES = 5000


@dataclass(frozen=True)
class TicketState:
    """What the team sees on a ticket in the tracker, in the workflow's words."""

    key: str
    status: str
    tier: int
    category: str | None
    assignee: str | None
    customer: str | None


@dataclass(frozen=True)
class Mark:
    """What existed when a step began: later rows and changes are that step's doing."""

    at: datetime
    effects: frozenset[str]
    outbox: int
    history: dict[str, frozenset[str]]


class Harness:
    """The service of one case and the world around it, driven step by step."""

    def __init__(self, config: Config, *, start: datetime, folder: Path,
                 calendar: Calendar | None = None) -> None:
        if calendar is not None:
            config = replace(config, rules=config.rules.model_copy(update={"calendar": calendar}))
        self.config = config
        self.clock = SettableClock(start)
        self.people = People(config)
        self.users = {address: _user(address) for address in self.people.staff}
        self.tracker = FakeTracker.from_config(config, clock=self.clock,
                                               users=list(self.users.values()))
        self.codec = FieldCodec.for_config(config)
        self.maildir = folder / "Maildir"
        for sub in ("tmp", "new", "cur"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        settings = embedded_settings(
            state_db=folder / "state.db", outbox_dir=folder / "outbox", maildir=self.maildir,
            mail_from=config.mappings.mailbox.address, jira_url="https://tracker.example.invalid",
            public_url="https://ticketflow.example.invalid",
            feedback_secret=secrets.token_urlsafe(16),
            webhook_url="https://chat.example.invalid/never-posted")  # built, never posted to
        self.service: Service = build(config, settings, clock=self.clock, tracker=self.tracker)
        self._mails = itertools.count(1)
        self.cycle()  # ticketflow's first run: an empty project, mirrored

    def close(self) -> None:
        self.service.close()

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def calendar(self) -> BusinessCalendar:
        """The case's business calendar, as the service counts on it."""
        return self.service.runtime.calendar

    # -- the world ----------------------------------------------------------------------

    def create(self, *, summary: str, description: str, customer: str | None,
               labels: Sequence[str], category: str | None, tier: int | None,
               assignee: str | None) -> str:
        """Create a ticket as a person would in the tracker; its key."""
        fields = self.codec.updates(None, category=category, tier=tier, customer_email=customer)
        fields["labels"] = [*fields.get("labels", []), *labels]
        mappings = self.config.mappings
        with self.tracker.acting_as(self._support()):
            key = self.tracker.create_issue(mappings.project, issue_type=mappings.issue_type,
                                            summary=summary, description=description,
                                            fields=fields).key
            if assignee is not None:
                self.tracker.assign(key, self._person(key, assignee))
        return key

    def move(self, key: str, statuses: Sequence[str], *, by: str,
             assignee: str | None = None) -> None:
        """Move the ticket through workflow statuses (a person, or ticketflow)."""
        jira = self.config.mappings.statuses
        with self.tracker.acting_as(self._person(key, by)):
            if assignee is not None:
                self.tracker.assign(key, self._person(key, assignee))
            for status in statuses:
                self.tracker.transition_to(key, jira[status])

    def assign(self, key: str, to: str, *, by: str) -> None:
        with self.tracker.acting_as(self._person(key, by)):
            self.tracker.assign(key, None if to == "none" else self._person(key, to))

    def comment(self, key: str, text: str, *, by: str, internal: bool) -> None:
        with self.tracker.acting_as(self._person(key, by)):
            self.tracker.add_comment(key, text, internal=internal)

    def deliver_mail(self, raw: bytes) -> None:
        """Put a message in the helpdesk's Maildir, delivered now (its file time)."""
        path = self.maildir / "new" / f"{next(self._mails):06d}.ruletest"
        path.write_bytes(raw)
        stamp = self.now().timestamp()
        os.utime(path, (stamp, stamp))

    def _person(self, key: str, name: str) -> User:
        """The tracker user a test's word or address stands for, on this ticket."""
        if name == "ticketflow":
            return self.tracker.me
        if name == "customer":
            customer = self.state(key).customer
            if customer is None:
                raise UsageError(f"{key} has no customer address; expected `customer:` on it")
            return User(display_name=customer.partition("@")[0], email=customer)
        if name == "staff":
            return self.users.get(self.state(key).assignee or "", self._support())
        address = self.people.address(name)
        return self.users.setdefault(address, _user(address))

    def _support(self) -> User:
        return self.users[self.people.support]

    # -- ticketflow ---------------------------------------------------------------------

    def cycle(self) -> CycleReport:
        """One cycle as `run` performs it: mail intake, then poll, rules and actions."""
        cycle = self.service.cycle
        mail = cycle.read_mail()
        if getattr(mail, "error", ""):
            raise RetriableError(f"mail intake: {getattr(mail, 'error', '')}")
        return cycle.sync()

    def settle(self) -> None:
        """Cycles until ticketflow has seen its own changes (and any mail waiting)."""
        for _ in range(_SETTLE_CYCLES):
            report = self.cycle()
            # Only a done action can have written to the tracker (a blocked one waits for a
            # configuration fix, and would keep this going for nothing).
            acted = any(item.status == "done" for item in report.performed)
            if not (acted or any(self.maildir.joinpath("new").iterdir())):
                return

    def advance_to(self, target: datetime) -> int:
        """Let time pass to `target`: a cycle whenever a time rule comes due (the first minute
        after), and one at the end. Returns how many instants cycles ran at."""
        self.settle()  # what happened before time moves on is seen at once
        ran = 0
        while ran < MAX_ADVANCE_CYCLES:
            ctx = Context(self.config, self.calendar, self.now())
            due = next_due(self._mirror(), self.config.rules.rules, ctx)
            if due is None or cycle_after(due) > target:
                break
            self.clock.set(cycle_after(due))
            self.settle()
            ran += 1
        else:
            raise UsageError(f"more than {MAX_ADVANCE_CYCLES} cycles in one advance: a time "
                             "rule comes due again and again")
        if self.now() < target:
            self.clock.set(target)
            self.settle()
            ran += 1
        return ran

    def _mirror(self) -> list[Ticket]:
        return list(self.service.store.open_tickets(self.config.mappings.project))

    # -- what happened ------------------------------------------------------------------

    def mark(self) -> Mark:
        return Mark(self.now(), frozenset(e.effect_key for e in self._effects()),
                    max((m.id or 0 for m in self._messages()), default=0),
                    {issue.key: self._history(issue.key) for issue in self._issues()})

    def effects_since(self, mark: Mark, key: str) -> list[Effect]:
        """The ticket's ledger rows recorded since the mark, oldest first."""
        return [e for e in self._effects()
                if e.issue_key == key and e.effect_key not in mark.effects]

    def messages_since(self, mark: Mark, key: str) -> list[OutboxMessage]:
        """The messages queued for the ticket since the mark."""
        return [m for m in self._messages() if m.issue_key == key and (m.id or 0) > mark.outbox]

    def state(self, key: str) -> TicketState:
        issue = self.tracker.get_issue(key)
        fields = self.codec.read(issue)
        return TicketState(key, self.service.cycle.poller.vocabulary.status(issue.status),
                           fields.tier or 1, fields.category,
                           issue.assignee.email if issue.assignee else None,
                           fields.customer_email)

    def ticket(self, key: str) -> Ticket | None:
        """The mirror's copy: what the rules are evaluated on."""
        return self.service.store.ticket_by_key(key)

    def mail(self, message_id: str) -> MailRecord | None:
        """How intake handled the mail with this Message-ID, once it has."""
        return IntakeStore(self.service.store.db).by_handle(message_id)

    def answered(self, key: str) -> str | None:
        """The Message-ID a reply on this ticket answers: ticketflow's newest message there,
        else the mail that opened it."""
        store = self.service.store
        sent = store.message_ids_for(key, "out") or store.message_ids_for(key, "in")
        return sent[-1] if sent else None

    def events_since(self, mark: Mark, key: str) -> list[Event]:
        """The events the ticket's changes since the mark raised, as the poll derives them."""
        issue = self.tracker.get_issue(key)
        seen = mark.history.get(key)
        changes = [c for c in self.tracker.changelogs([issue.id])[issue.id]
                   if seen is None or c.id not in seen]
        comments = [c for c in self.tracker.comments(key)
                    if seen is None or f"comment:{c.id}" not in seen]
        sides = IntakeStore(self.service.store.db).comment_sides([c.id for c in comments])
        return events_from(issue, changes, self.service.cycle.poller.vocabulary,
                           is_new=seen is None, comments=comments,
                           customer=self.state(key).customer, mail_sides=sides)

    def _history(self, key: str) -> frozenset[str]:
        issue = self.tracker.get_issue(key)
        changes = self.tracker.changelogs([issue.id])[issue.id]
        comments = self.tracker.comments(key)
        return frozenset([c.id for c in changes] + [f"comment:{c.id}" for c in comments])

    def _issues(self) -> list[Issue]:
        pages = self.tracker.search_changed(self.config.mappings.project,
                                            since=datetime.min.replace(tzinfo=self.now().tzinfo))
        return [issue for page in pages for issue in page]

    def _effects(self) -> list[Effect]:
        return self.service.store.effects_with_status(_EVERY_EFFECT)

    def _messages(self) -> list[OutboxMessage]:
        return self.service.store.outbox(_EVERY_MESSAGE)


def _user(address: str) -> User:
    """A tracker user for an address (the fake keys people by account id, as Cloud does)."""
    name = address.partition("@")[0]
    return User(display_name=name.replace(".", " ").title(), account_id=f"acc-{name}",
                email=address)
