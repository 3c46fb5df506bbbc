"""A rig for the ledger tests: the shipped config in a private folder (editable between
cycles), a FakeTracker with its own clock, and cycles run as separate `build(...)` calls over
one real SQLite file, as separate processes would run them."""

from __future__ import annotations

import email
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.app import Service, build
from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.settings import Settings
from connector.state.base import Effect
from connector.state.sqlite import SqliteStateStore
from connector.sync.cycle import CycleReport
from connector.sync.perform import Reporter
from connector.tracker.fake import FakeTracker
from connector.tracker.values import NewTicket, Person, WorkflowFields

ROOT = Path(__file__).resolve().parents[3]
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
ALICE = Person("acc-alice", "alice@example.edu", "Alice")
BOB = Person("acc-bob", "bob@example.edu", "Bob Engineer")
CAROL = Person("acc-carol", "carol@example.edu", "Carol Engineer")
CUSTOMER = "pat.doe@uni.example.edu"


@dataclass
class LedgerRig:
    """One deployment: its config folder, state file, outbox folder and tracker."""

    folder: Path
    clock: SettableClock          # the host's clock
    tracker: FakeTracker          # has its own clock (the tracker's), possibly another time
    settings: Settings
    users: list[Person] = field(default_factory=list)

    @property
    def config(self) -> Config:
        """The configuration as it is on disk now (edit the files between cycles)."""
        return load_config(self.folder)

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.folder / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new))

    def service(self, *, tracker: Any = None, report: Reporter | None = None) -> Service:
        return build(self.config, self.settings, clock=self.clock,
                     tracker=tracker or self.tracker, report=report)

    def cycle(self, *, tracker: Any = None, report: Reporter | None = None) -> CycleReport:
        """One cycle in a fresh service, as a new `ticketflow once` process would run it."""
        service = self.service(tracker=tracker, report=report)
        try:
            return service.cycle.run()
        finally:
            service.close()

    def advance(self, delta: timedelta) -> None:
        """Time passes for the host and the tracker alike."""
        self.clock.advance(delta)
        tracker_clock = self.tracker.clock
        if tracker_clock is not self.clock:
            assert isinstance(tracker_clock, SettableClock)
            tracker_clock.advance(delta)

    def new_ticket(self, summary: str, *, customer: str = CUSTOMER) -> str:
        with self.tracker.acting_as(ALICE):
            return self.tracker.create(NewTicket(summary, "",
                                                 WorkflowFields(customer=customer or None)))

    def move(self, key: str, *statuses: str, by: Person = ALICE) -> None:
        """A person moves the ticket along the workflow, in the tracker's own screens."""
        with self.tracker.acting_as(by):
            for status in statuses:
                self.tracker.update(key, WorkflowFields(status=status))

    def mails(self, key: str = "", template: str = "") -> list[EmailMessage]:
        """Delivered messages (files named KEY-TEMPLATE-ID.eml), optionally of one ticket and
        template."""
        prefix = f"{key}-{template}-" if key and template else f"{key}-" if key else ""
        paths = sorted(p for p in self.settings.outbox_dir.glob("*.eml")
                       if p.name.startswith(prefix))
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
                for p in paths]

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def effects(self, key: str) -> dict[str, Effect]:
        """The ticket's ledger rows by `rule index:kind`."""
        with _store(self.settings.state_db) as store:
            return {f"{e.rule} {e.action}": e for e in store.effects_for(key)}


class _store:  # noqa: N801 - used as a context manager, reads like one
    def __init__(self, path: Path) -> None:
        self.store = SqliteStateStore(path)

    def __enter__(self) -> SqliteStateStore:
        return self.store

    def __exit__(self, *_: object) -> None:
        self.store.close()


def copy_config(folder: Path) -> None:
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, folder / name)


@pytest.fixture
def make_rig(tmp_path: Path) -> Callable[..., LedgerRig]:
    """`make_rig(users=[...], tracker_behind=timedelta(...), name="clean")`: a rig (in its
    own sub-folder when named) after its first run."""

    def make(*, users: list[Person] | None = None, tracker_behind: timedelta = timedelta(0),
             first_run: bool = True, name: str = "") -> LedgerRig:
        folder = tmp_path / name if name else tmp_path
        folder.mkdir(exist_ok=True)
        copy_config(folder)
        clock = SettableClock(MONDAY)
        people = [ALICE, BOB, CAROL] if users is None else users
        tracker_clock = clock if not tracker_behind else SettableClock(MONDAY - tracker_behind)
        tracker = FakeTracker.from_config(load_config(folder), clock=tracker_clock,
                                          people=people)
        settings = Settings(state_db=folder / "state.db", outbox_dir=folder / "outbox",
                            jira_url="https://jira.example.edu",
                            _env_file=None)  # type: ignore[call-arg]
        rig = LedgerRig(folder, clock, tracker, settings, people)
        if first_run:
            rig.cycle()
        return rig

    return make
