"""Run rule-test cases: each step acted out on a fresh harness, its expectations checked.

A failed expectation is explained with the rules involved.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from connector.config import ruletests as m
from connector.config.durations import Duration
from connector.config.loader import Config
from connector.config.problems import display_path
from connector.config.source import KeyPath, Location
from connector.errors import TicketflowError, UsageError
from connector.ruletest.expect import Miss, Observed, check
from connector.ruletest.harness import Harness, Mark
from connector.ruletest.load import TestSource
from connector.ruletest.mail import compose
from connector.ruletest.why import why

log = logging.getLogger(__name__)
Outcome = Literal["passed", "failed", "error"]


@dataclass(frozen=True)
class Failure:
    """An expectation that did not hold: where it is written and the two sides, with the
    explain lines of the rules involved."""

    location: Location
    what: str
    expected: str
    actual: tuple[str, ...]
    why: tuple[str, ...] = ()


@dataclass
class CaseResult:
    """How one case ended; for a failure or an error, at which step and why."""

    source: TestSource
    index: int
    outcome: Outcome = "passed"
    step: str = ""              # "step 3 at rules/tests/x.yaml:12:9: advance 2m (...)"
    failures: list[Failure] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def case(self) -> m.Case:
        return self.source.tests.cases[self.index]

    @property
    def location(self) -> Location:
        return self.source.document.source.locate(("cases", self.index)) or Location(
            self.source.name, 1, 1)

    @property
    def id(self) -> str:
        return f"{self.source.name}::{self.case.name}"


def run_case(source: TestSource, index: int, config: Config) -> CaseResult:
    """One case on a fresh harness in a temporary folder, removed afterwards."""
    result = CaseResult(source, index)
    began = time.perf_counter()
    case = source.tests.cases[index]
    calendar = case.calendar or source.tests.calendar
    zone = ZoneInfo((calendar or config.rules.calendar).timezone)
    start = case.start or source.tests.start
    assert start is not None  # the file check refuses a case without one
    with tempfile.TemporaryDirectory(prefix="ticketflow-test-") as folder:
        harness = Harness(config, start=start.on_date(zone), folder=Path(folder),
                          calendar=calendar)
        try:
            _Case(harness, source, index, zone, result).run()
        finally:
            harness.close()
    result.seconds = time.perf_counter() - began
    return result


class _Case:
    """The steps of one case, in order, until one fails."""

    def __init__(self, harness: Harness, source: TestSource, index: int, zone: ZoneInfo,
                 result: CaseResult) -> None:
        self.harness = harness
        self.source = source
        self.path: KeyPath = ("cases", index)
        self.case = source.tests.cases[index]
        self.zone = zone
        self.result = result
        self.keys: dict[str, str] = {}       # ticket name -> tracker key
        self.current: str | None = None      # the key steps and expectations default to
        self.mail_id: str | None = None      # the Message-ID of the step's mail
        self.mails = 0

    def run(self) -> None:
        for number, step in enumerate(self.case.steps, start=1):
            path = (*self.path, "steps", number - 1)
            mark = self.harness.mark()
            self.mail_id = None
            try:
                self._act(step)
                failures = self._check(step, path, mark)
            except TicketflowError as error:
                self._erred(str(error), number, path, step)
                return
            except Exception as error:  # one case's crash (a bug) must not hide the others
                log.debug("case %r crashed", self.case.name, exc_info=True)
                self._erred(f"internal error: {type(error).__name__}: {error} (a bug in "
                            "ticketflow; -vv shows the traceback)", number, path, step)
                return
            if failures:
                self.result.outcome, self.result.failures = "failed", failures
                self.result.step = self._where(number, path, step)
                return

    def _erred(self, text: str, number: int, path: KeyPath, step: m._Step) -> None:
        self.result.outcome, self.result.error = "error", text
        self.result.step = self._where(number, path, step)

    def _where(self, number: int, path: KeyPath, step: m._Step) -> str:
        location = self.source.document.source.locate(path)
        now = self.harness.now().astimezone(self.zone).strftime("%a %-d %b %H:%M %Z")
        return f"step {number} at {location}: {describe(step)} (now {now})"

    # -- acting ---------------------------------------------------------------------------

    def _act(self, step: m._Step) -> None:
        harness = self.harness
        if isinstance(step, m.Created):
            spec = self.case.tickets[step.created]
            self.keys[step.created] = harness.create(
                summary=spec.summary, description=spec.description, customer=spec.customer,
                labels=spec.labels, category=spec.category, tier=spec.tier,
                assignee=spec.assignee)
            self.current = self.keys[step.created]
        elif isinstance(step, m.StatusStep):
            move = step.status
            harness.move(self._key(move.ticket), move.to, by=move.by, assignee=move.assignee)
        elif isinstance(step, m.AssignStep):
            harness.assign(self._key(step.assign.ticket), step.assign.to, by=step.assign.by)
        elif isinstance(step, m.CommentStep):
            said = step.comment
            harness.comment(self._key(said.ticket), said.text, by=said.by,
                            internal=said.internal)
        elif isinstance(step, m.MailStep):
            self._mail(step.mail)
            return
        elif isinstance(step, m.AdvanceStep):
            harness.advance_to(self._target(step.advance))
            return
        elif isinstance(step, m.Check):
            return
        harness.settle()

    def _key(self, name: str | None, *, switch: bool = True) -> str:
        """The tracker key of a named ticket (which becomes the current one), or the current."""
        if name is None:
            assert self.current is not None  # the file check saw a ticket before this step
            return self.current
        if name not in self.keys:
            raise TicketflowError(f"ticket {name!r} was never opened (its mail did not open "
                                  "a ticket)")
        if switch:
            self.current = self.keys[name]
        return self.keys[name]

    def _mail(self, spec: m.MailSpec) -> None:
        harness = self.harness
        answered = self._key(spec.in_reply_to) if spec.in_reply_to else None
        self.mails += 1
        self.mail_id, raw = compose(
            spec, number=self.mails, now=harness.now(),
            helpdesk=harness.config.mappings.mailbox.address,
            answers=harness.answered(answered) if answered else None,
            recipient=harness.state(answered).customer if answered else None)
        harness.deliver_mail(raw)
        harness.settle()
        record = harness.mail(self.mail_id)
        if record is not None and record.issue_key is not None:
            self.current = record.issue_key
            if spec.opens is not None and record.outcome == "ticket":
                self.keys[spec.opens] = record.issue_key

    def _target(self, advance: Duration | m.AdvanceTo) -> datetime:
        now = self.harness.now()
        if not isinstance(advance, m.AdvanceTo):
            return self.harness.calendar.add(now, advance)
        target = advance.to.resolve(self.zone, now, inclusive=False)
        if target <= now:
            raise UsageError(f"advance to {advance.to} would go back in time; expected a time "
                             "after now")
        return target

    # -- checking -------------------------------------------------------------------------

    def _check(self, step: m._Step, path: KeyPath, mark: Mark) -> list[Failure]:
        failures: list[Failure] = []
        explained: set[str] = set()  # each rule's lines once per step, at its first miss
        for key in m.EXPECT_KEYS:
            expectation = getattr(step, key)
            if expectation is None:
                continue
            # An expectation's `ticket:` looks at another ticket; the steps' stays.
            ticket = self._key(expectation.ticket, switch=False)
            seen = self._observe(ticket, mark)
            for miss in check(expectation, (*path, key), seen, self.harness.config.rules.rules):
                failures.append(self._failure(miss, ticket, mark, explained))
        return failures

    def _observe(self, key: str, mark: Mark) -> Observed:
        harness = self.harness
        return Observed(self._name(key), harness.effects_since(mark, key),
                        harness.messages_since(mark, key), harness.state(key),
                        harness.mail(self.mail_id) if self.mail_id else None, mark.at,
                        self.zone, harness.people.address)

    def _name(self, key: str) -> str:
        names = [name for name, known in self.keys.items() if known == key]
        return f"{names[0]} ({key})" if names else key

    def _failure(self, miss: Miss, key: str, mark: Mark, explained: set[str]) -> Failure:
        location = self.source.document.source.locate(miss.path) or self.result.location
        shown = display_path(miss.path[miss.path.index("steps") + 2:])
        return Failure(location, f"{shown}, ticket {self._name(key)}", miss.expected,
                       miss.actual, tuple(why(self.harness, miss, key, mark, explained)))


def describe(step: m._Step) -> str:
    """A step in a few words, for the report."""
    if isinstance(step, m.Created):
        return f"created {step.created}"
    if isinstance(step, m.StatusStep):
        return f"status -> {' -> '.join(step.status.to)} by {step.status.by}"
    if isinstance(step, m.AssignStep):
        return f"assign to {step.assign.to} by {step.assign.by}"
    if isinstance(step, m.CommentStep):
        return f"comment by {step.comment.by}"
    if isinstance(step, m.MailStep):
        kind = "bounce" if step.mail.bounce else "mail"
        return f'{kind} from {step.mail.from_}: "{step.mail.subject}"'
    if isinstance(step, m.AdvanceStep):
        advance = step.advance
        return f"advance to {advance.to}" if isinstance(advance, m.AdvanceTo) else \
            f"advance {advance}"
    return "run" if isinstance(step, m.RunStep) else "expect"
