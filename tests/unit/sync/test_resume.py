"""An action interrupted halfway (the process killed between two tracker writes) is finished
by the next run without doing anything twice or choosing differently."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.app import build
from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.settings import Settings
from connector.tracker.fake import FakeTracker
from connector.tracker.values import UNSET, NewTicket, Person, WorkflowFields

ROOT = Path(__file__).resolve().parents[3]
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
ALICE = Person("acc-alice", "alice@example.edu", "Alice")
STAFF = [ALICE] + [Person(f"acc-{n}", f"{n}@example.edu", n.title())
                   for n in ("bob", "carol", "dave")]


class Killed(BaseException):
    """The process died here (BaseException: nothing in ticketflow may catch it)."""


class DiesAfter:
    """Passes every call to the fake tracker, and dies right after the named write. "part of
    update" writes the fields and the assignee but not the status, then dies (a crash between
    an adapter's requests: Jira sets the tier, then assigns, then transitions)."""

    def __init__(self, inner: FakeTracker, method: str) -> None:
        self.inner, self.method = inner, method

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if name != self.method.removeprefix("part of "):
            return target

        def then_die(*args: Any, **kwargs: Any) -> Any:
            if self.method.startswith("part of "):
                key, fields = args
                target(key, replace(fields, status=UNSET))
            else:
                target(*args, **kwargs)
            raise Killed(name)
        return then_die


@pytest.mark.parametrize("dies_after", ["part of update", "update", "add_comment"])
def test_an_interrupted_escalation_completes_once(tmp_path: Path, dies_after: str) -> None:
    """Killed after setting the tier and the assignee, after the whole update (status too),
    or after the internal note: the restart ends with tier 2, the person first chosen,
    status Assigned, one internal note, one message."""
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    mappings = tmp_path / "mappings.yaml"  # round robin: a second pick would be someone else
    mappings.write_text(mappings.read_text().replace("assign: least_loaded", "assign: round_robin"))
    config = load_config(tmp_path)
    clock = SettableClock(MONDAY)
    tracker = FakeTracker.from_config(config, clock=clock, people=STAFF)
    settings = Settings(state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox",
                        jira_url="https://jira.example.edu", _env_file=None)  # type: ignore[call-arg]

    def cycle(inner: Any = tracker) -> None:
        service = build(config, settings, clock=clock, tracker=inner)
        try:
            service.cycle.run()
        finally:
            service.close()

    cycle()
    with tracker.acting_as(ALICE):
        key = tracker.create(NewTicket("Report fails", "", WorkflowFields(customer="p@x.edu")))
        tracker.update(key, WorkflowFields(status="Reviewing"))
    clock.advance(timedelta(minutes=5))
    cycle()
    clock.advance(timedelta(hours=5))              # past tier 1's 4 business hours
    with pytest.raises(Killed):
        cycle(DiesAfter(tracker, dies_after))
    chosen = tracker.ticket(key).assignee
    clock.advance(timedelta(minutes=1))
    cycle()                                        # the restart
    cycle()
    ticket = tracker.ticket(key)
    assert (ticket.status, ticket.tier) == ("Assigned", 2)
    assert ticket.assignee is not None and ticket.assignee == chosen
    notes = [c for c in tracker.comments(key) if c.body.startswith("Escalated by ticketflow")]
    assert len(notes) == 1
    messages = sorted(p.name for p in (tmp_path / "outbox").glob("*escalated*.eml"))
    assert len(messages) == 1
