"""Delivery pauses: a server-wide or connection failure stops a channel's delivery for a while.

A pause is kept in the state file (so `once` from cron honours it across processes) per
channel, mail or webhook, so a chat outage does not hold mail back. Each failed try doubles
the wait, from a minute to at most an hour, for as long as the outage lasts: nothing is
failed by an outage, and the first pass after recovery sends everything that waited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.state.base import WEBHOOK_PREFIX, StateStore

CHANNELS = ("mail", "webhook")
META_KEY = "delivery pause {}"  # the meta row of one channel's pause (JSON; "" when none)


def backoff(failures: int) -> timedelta:
    """1, 2, 4 ... minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** (max(failures, 1) - 1), 60))


def channel_of(recipient: str) -> str:
    """Which channel an outbox row travels on."""
    return "webhook" if recipient.startswith(WEBHOOK_PREFIX) else "mail"


@dataclass(frozen=True)
class Pause:
    """One channel's outage as delivery saw it."""

    channel: str
    since: datetime
    failures: int
    until: datetime
    reason: str

    def describe(self) -> str:
        return (f"{self.channel} delivery paused since {self.since.isoformat(timespec='minutes')}"
                f" ({self.failures} failed tries; next at "
                f"{self.until.isoformat(timespec='minutes')}): {self.reason}")


def parse(channel: str, raw: str | None) -> Pause | None:
    """A pause as kept in its meta row, or None."""
    if not raw:
        return None
    data = json.loads(raw)
    return Pause(channel, datetime.fromisoformat(data["since"]), int(data["failures"]),
                 datetime.fromisoformat(data["until"]), str(data["reason"]))


class Pauses:
    """The pauses of every channel, read and written through the store's `meta`."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def get(self, channel: str) -> Pause | None:
        return parse(channel, self.store.meta(META_KEY.format(channel)))

    def active(self) -> list[Pause]:
        """Every channel now paused."""
        return [pause for channel in CHANNELS if (pause := self.get(channel))]

    def record(self, channel: str, now: datetime, reason: str) -> Pause:
        """One more failed try: the wait doubles (at most an hour)."""
        before = self.get(channel)
        failures = before.failures + 1 if before else 1
        pause = Pause(channel, before.since if before else now, failures,
                      now + backoff(failures), reason)
        self.store.set_meta(META_KEY.format(channel), json.dumps({
            "since": pause.since.isoformat(), "failures": failures,
            "until": pause.until.isoformat(), "reason": reason}))
        return pause

    def clear(self, channel: str) -> None:
        """The channel works again (or an operator asked for a try now)."""
        if self.store.meta(META_KEY.format(channel)):
            self.store.set_meta(META_KEY.format(channel), "")
