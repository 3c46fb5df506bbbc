"""Delivery pauses: a server-wide or connection failure stops a channel's delivery for a while.

A pause is kept in the state file (so `once` from cron honours it across processes) per
channel, mail or webhook, so a chat outage does not hold mail back. Each failed try doubles
the wait, from a minute to at most an hour, for as long as the outage lasts: nothing is
failed by an outage, and the first pass after recovery sends everything that waited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.state.base import WEBHOOK_PREFIX
from connector.state.concerns import DeliveryPause, DeliveryPauses

CHANNELS = ("mail", "webhook")


def backoff(failures: int) -> timedelta:
    """1, 2, 4 ... minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** (max(failures, 1) - 1), 60))


def channel_of(recipient: str) -> str:
    """Which channel an outbox row travels on."""
    return "webhook" if recipient.startswith(WEBHOOK_PREFIX) else "mail"


@dataclass(frozen=True)
class Pause(DeliveryPause):
    """One channel's outage as delivery saw it, as the state keeps it."""

    def describe(self) -> str:
        return (f"{self.channel} delivery paused since {self.since.isoformat(timespec='minutes')}"
                f" ({self.failures} failed tries; next at "
                f"{self.until.isoformat(timespec='minutes')}): {self.reason}")


class Pauses:
    """The pauses of every channel, kept in the state (`DeliveryPauses`)."""

    def __init__(self, store: DeliveryPauses) -> None:
        self.store = store

    def get(self, channel: str) -> Pause | None:
        kept = self.store.delivery_pause(channel)
        return None if kept is None else Pause(**vars(kept))

    def active(self) -> list[Pause]:
        """Every channel now paused."""
        return [pause for channel in CHANNELS if (pause := self.get(channel))]

    def record(self, channel: str, now: datetime, reason: str) -> Pause:
        """One more failed try: the wait doubles (at most an hour)."""
        before = self.get(channel)
        failures = before.failures + 1 if before else 1
        pause = Pause(channel, before.since if before else now, failures,
                      now + backoff(failures), reason)
        self.store.pause_delivery(pause)
        return pause

    def clear(self, channel: str) -> None:
        """The channel works again (or an operator asked for a try now)."""
        self.store.resume_delivery(channel)
