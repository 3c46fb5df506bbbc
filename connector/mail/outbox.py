"""Deliver queued messages: the outbox folder mailer, routing, and the delivery step.

A message is marked sent only after the server accepted it. A crash between the two (the
only window) sends that one message again on the next pass: at worst one duplicate.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from connector.errors import RetriableError
from connector.mail.base import Mailer, MessageRejectedError
from connector.mail.suppress import WEBHOOK_PREFIX, DeliveryGuard
from connector.state.base import OutboxMessage, StateStore

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class OutboxDirMailer:
    """Writes each message as an `.eml` file (the embedded default; also the demo's output)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        suffix = ".json" if recipient.startswith(WEBHOOK_PREFIX) else ".eml"
        target = self.folder / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + suffix)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(message)
        partial.replace(target)  # a reader never sees half a message

    def close(self) -> None:
        """Nothing held between sends."""


class Router:
    """Mail to the mailer, `webhook:` rows to the webhook sender."""

    def __init__(self, mail: Mailer, webhook: Mailer | None) -> None:
        self.mail = mail
        self.webhook = webhook

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        if not recipient.startswith(WEBHOOK_PREFIX):
            self.mail.send(message, sender=sender, recipient=recipient, name=name)
        elif self.webhook is None:
            raise RetriableError("no webhook URL: set TICKETFLOW_WEBHOOK_URL")
        else:
            self.webhook.send(message, sender=sender, recipient=recipient, name=name)

    def close(self) -> None:
        self.mail.close()
        if self.webhook is not None:
            self.webhook.close()


@dataclass(frozen=True)
class Delivery:
    """Counts of one delivery pass."""

    sent: int
    retried: int
    failed: int
    blocked: int = 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


BATCH = 100


def deliver(store: StateStore, mailer: Mailer, *, sender: str, now: datetime,
            guard: DeliveryGuard | None = None) -> Delivery:
    """Send every due message once. A temporary failure is retried with backoff, then marked
    failed; a refusal is failed at once; a blocked recipient (suppressed, flooding) is
    failed with the reason, so `ticketflow outbox` shows it and it can be retried by hand.
    A FatalError (wrong credentials) stops the pass and leaves the message pending."""
    counts = {"sent": 0, "retried": 0, "failed": 0, "blocked": 0}
    try:
        # Batch after batch until nothing is due: what a pass delivers must not depend on how
        # many passes a busy hour happens to get (each handled message leaves the due set).
        while batch := store.pending_outbox(now, limit=BATCH):
            for item in batch:
                counts[_one(store, mailer, item, sender=sender, now=now, guard=guard)] += 1
            if len(batch) < BATCH:
                break
    finally:
        mailer.close()
    return Delivery(**counts)


def _one(store: StateStore, mailer: Mailer, item: OutboxMessage, *, sender: str,
         now: datetime, guard: DeliveryGuard | None) -> str:
    assert item.id is not None
    attempts = item.attempts + 1
    refused = guard.refuse(item.recipient, now) if guard else None
    if refused:
        store.update_outbox(item.id, status="failed", attempts=item.attempts,
                            next_attempt_at=None, last_error=f"not sent: {refused}",
                            sent_at=None)
        log.info("message %s for %s not sent: %s", item.template, item.issue_key, refused)
        return "blocked"
    try:
        mailer.send(item.message, sender=sender, recipient=item.recipient,
                    name=f"{item.issue_key}-{item.template}-{item.id}")
    except (RetriableError, MessageRejectedError) as error:
        final = attempts >= MAX_ATTEMPTS or isinstance(error, MessageRejectedError)
        store.update_outbox(item.id, status="failed" if final else "pending",
                            attempts=attempts, next_attempt_at=None if final else
                            now + backoff(attempts), last_error=str(error), sent_at=None)
        log.warning("message %s for %s %s: %s", item.template, item.issue_key,
                    "failed" if final else "will be retried", error,
                    extra={"ticket": item.issue_key})
        return "failed" if final else "retried"
    # The window: accepted by the server, not yet recorded. A crash here repeats this one.
    store.update_outbox(item.id, status="sent", attempts=attempts, next_attempt_at=None,
                        last_error="", sent_at=now)
    if guard:
        guard.sent(item.recipient, now)
    log.info("message sent", extra={"ticket": item.issue_key, "template": item.template})
    return "sent"
