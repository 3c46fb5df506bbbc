"""Deliver queued messages: the outbox folder mailer and the delivery step with backoff."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from connector.errors import RetriableError, TicketflowError
from connector.mail.base import Mailer
from connector.state.base import StateStore

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class OutboxDirMailer:
    """Writes each message as an `.eml` file (the embedded default; also the demo's output)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".eml")
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(message)
        partial.replace(target)  # a reader never sees half a message


@dataclass(frozen=True)
class Delivery:
    """Counts of one delivery pass."""

    sent: int
    retried: int
    failed: int


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def deliver(store: StateStore, mailer: Mailer, *, sender: str, now: datetime) -> Delivery:
    """Send every due message once; a failure is retried later, then marked failed."""
    sent = retried = failed = 0
    for item in store.pending_outbox(now):
        assert item.id is not None
        name = f"{item.issue_key}-{item.template}-{item.id}"
        try:
            mailer.send(item.message, sender=sender, recipient=item.recipient, name=name)
        except TicketflowError as error:
            attempts = item.attempts + 1
            final = attempts >= MAX_ATTEMPTS or not isinstance(error, RetriableError)
            store.update_outbox(item.id, status="failed" if final else "pending",
                                attempts=attempts, next_attempt_at=now + backoff(attempts),
                                last_error=str(error), sent_at=None)
            log.warning("message %s to %s %s: %s", item.template, item.issue_key,
                        "failed" if final else "will be retried", error)
            failed, retried = failed + final, retried + (not final)
            continue
        store.update_outbox(item.id, status="sent", attempts=item.attempts + 1,
                            next_attempt_at=None, last_error="", sent_at=now)
        log.info("message sent", extra={"ticket": item.issue_key, "template": item.template})
        sent += 1
    return Delivery(sent, retried, failed)
