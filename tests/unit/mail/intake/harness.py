"""Mail intake on an in-memory mailbox, a FakeTracker and an in-memory state: for the corpus
and fuzz tests, which push hundreds of messages through the real Ingest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.engine.calendar import BusinessCalendar
from connector.mail.intake.base import Destination, RawMail
from connector.mail.intake.ingest import Ingest, IngestReport
from connector.mail.intake.rules import IntakeRules
from connector.state.sqlite import SqliteStateStore
from connector.tracker.fake import FakeTracker

ROOT = Path(__file__).resolve().parents[4]
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@cache
def shipped_config() -> Config:
    return load_config(ROOT)


class ListMailbox:
    """A Mailbox holding raw messages in memory; remembers where each was settled."""

    name = "memory:test"

    def __init__(self, messages: list[bytes]) -> None:
        self.messages = messages
        self.settled: list[tuple[str, Destination]] = []

    def fetch(self) -> Iterator[RawMail]:
        for number, data in enumerate(self.messages):
            yield RawMail(str(number), data, len(data), NOW)

    def settle(self, mail: RawMail, destination: Destination, *, key: str) -> None:
        self.settled.append((mail.ref, destination))

    def restore(self, *, ref: str, message_id: str | None, key: str) -> bool:
        """Quarantined messages are not kept apart here: nothing to move back."""
        del ref, message_id, key
        return False

    def close(self) -> None:
        """Nothing to release."""


class Harness:
    """The real Ingest wired to fakes; `run(messages)` is one pass over them."""

    def __init__(self) -> None:
        config = shipped_config()
        self.clock = SettableClock(NOW)
        self.tracker = FakeTracker.from_config(config, clock=self.clock)
        self.store = SqliteStateStore(":memory:")
        self.rules = IntakeRules.from_config(config, mail_from=config.mappings.mailbox.address)
        self.calendar = BusinessCalendar.from_config(config.rules.calendar)
        self.mailbox = ListMailbox([])

    def run(self, messages: list[bytes]) -> IngestReport:
        self.mailbox = ListMailbox(messages)
        ingest = Ingest(tracker=self.tracker, store=self.store, rules=self.rules,
                        calendar=self.calendar, open_mailbox=lambda: self.mailbox)
        return ingest(self.clock.now())

    def close(self) -> None:
        self.store.close()
