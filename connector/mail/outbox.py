"""Deliver queued messages: the outbox folder mailer, routing, and the delivery step.

A message is marked sent only after the server accepted it. A crash between the two (the
only window) sends that one message again on the next pass: at worst one duplicate.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from connector.errors import FatalError, RetriableError
from connector.mail.base import DeliveryUnavailableError, Mailer, MessageRejectedError
from connector.mail.pause import CHANNELS, Pause, Pauses, backoff
from connector.mail.suppress import DeliveryGuard
from connector.state.base import WEBHOOK_PREFIX, OutboxMessage
from connector.state.concerns import DeliveryState, Outbox

log = logging.getLogger(__name__)
# A message the server defers (4xx to its RCPT TO or DATA) is retried with backoff and given
# up only after both: this many tries, and this long since it was queued (as MTAs hold mail
# for days). An outage of the server itself never counts against a message (see pause.py).
MAX_ATTEMPTS = 8
RETRY_FOR = timedelta(days=2)
# A pass stops starting new sends after this long; the rest waits for the next pass, so a
# slow server cannot hold a `once` from cron for the whole queue.
PASS_BUDGET_SECONDS = 120.0
BATCH = 100

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
            raise DeliveryUnavailableError("no webhook URL: set TICKETFLOW_WEBHOOK_URL")
        else:
            self.webhook.send(message, sender=sender, recipient=recipient, name=name)

    def close(self) -> None:
        self.mail.close()
        if self.webhook is not None:
            self.webhook.close()


@dataclass(frozen=True)
class Delivery:
    """What one delivery pass did, and whether delivery is stuck."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    paused: tuple[Pause, ...] = ()  # channels waiting out an outage after this pass
    unfinished: bool = False  # stopped (time budget, shutdown) with messages still due

    @property
    def error(self) -> str:
        """Why delivery is stuck, or "": `once` exits 1 and /healthz degrades on it."""
        return "; ".join(pause.describe() for pause in self.paused)


StopWhen = Callable[[], bool]


def pass_budget(seconds: float, stop: threading.Event | None = None, *,
                monotonic: Callable[[], float] = time.monotonic) -> StopWhen:
    """End a pass `seconds` from now, or as soon as `stop` is set (the service stopping)."""
    deadline = monotonic() + seconds
    return lambda: (stop is not None and stop.is_set()) or monotonic() >= deadline


def deliver(store: DeliveryState, mailer: Mailer, *, sender: str, now: datetime,
            guard: DeliveryGuard | None = None, stop_when: StopWhen | None = None) -> Delivery:
    """Send every due message once, channel by channel (mail, then chat webhooks).

    A refusal of one message fails it; a deferral retries it with backoff; a blocked
    recipient (suppressed, flooding) is failed with the reason, so `ticketflow outbox` shows
    it and it can be retried by hand. A failure of the server or the connection (or wrong
    credentials) pauses that channel with a growing wait and fails nothing: a paused
    channel is not tried again before its wait is over. `stop_when` ends the pass between
    two messages (a time budget, a shutdown)."""
    counts: Counter[str] = Counter()
    pauses = Pauses(store)
    unfinished = False
    try:
        for channel in CHANNELS:
            pause = pauses.get(channel)
            if pause is not None and pause.until > now:
                continue  # still waiting out the outage: not one connection attempt
            unfinished |= _channel(store, mailer, channel, pauses, counts, sender=sender,
                                   now=now, guard=guard, stop_when=stop_when)
    finally:
        mailer.close()
    return Delivery(counts["sent"], counts["retried"], counts["failed"], counts["blocked"],
                    paused=tuple(pauses.active()), unfinished=unfinished)


def _channel(store: Outbox, mailer: Mailer, channel: str, pauses: Pauses,
             counts: Counter[str], *, sender: str, now: datetime,
             guard: DeliveryGuard | None, stop_when: StopWhen | None) -> bool:
    """One channel's due messages, batch after batch; True when stopped with some left."""
    recovering = pauses.get(channel)
    if recovering is not None and not store.pending_outbox(now, limit=1,
                                                           webhook=channel == "webhook"):
        pauses.clear(channel)  # nothing waits any more (dropped): nothing is stuck
        return False
    # Batch after batch until nothing is due: what a pass delivers must not depend on how
    # many passes a busy hour happens to get (each handled message leaves the due set).
    while batch := store.pending_outbox(now, limit=BATCH, webhook=channel == "webhook"):
        for item in batch:
            if stop_when is not None and stop_when():
                log.info("delivery pass ended early; due messages wait for the next pass")
                return True
            try:
                outcome = _one(store, mailer, item, sender=sender, now=now, guard=guard)
            except (DeliveryUnavailableError, FatalError) as error:
                _paused(pauses.record(channel, now, str(error)))
                return False
            counts[outcome] += 1
            if recovering is not None and outcome != "blocked":  # the server answered again
                log.info("%s delivery resumed (paused since %s)", channel,
                         recovering.since.isoformat(timespec="minutes"))
                pauses.clear(channel)
                recovering = None
        if len(batch) < BATCH:
            break
    return False


def _paused(pause: Pause) -> None:
    log.warning("%s; nothing is failed, every waiting message goes once it works again",
                pause.describe(), extra={"channel": pause.channel})


def _one(store: Outbox, mailer: Mailer, item: OutboxMessage, *, sender: str,
         now: datetime, guard: DeliveryGuard | None) -> str:
    """Send one message and record how it went; a server-wide failure is raised, untouched."""
    assert item.id is not None
    refused = guard.refuse(item.recipient, now) if guard else None
    if refused:
        store.mark_failed(item.id, error=f"not sent: {refused}", attempted=False)
        log.info("message %s for %s not sent: %s", item.template, item.issue_key, refused)
        return "blocked"
    try:
        mailer.send(item.message, sender=sender, recipient=item.recipient,
                    name=f"{item.issue_key}-{item.template}-{item.id}")
    except MessageRejectedError as error:
        store.mark_failed(item.id, error=str(error))
        _refused(item, "failed", error)
        return "failed"
    except DeliveryUnavailableError:
        raise
    except RetriableError as error:  # this message, later
        attempts = item.attempts + 1
        queued_for = now - (item.created_at or now)
        if attempts >= MAX_ATTEMPTS and queued_for >= RETRY_FOR:
            store.mark_failed(item.id, error=str(error))
            _refused(item, f"failed after {attempts} tries", error)
            return "failed"
        store.retry_later(item.id, at=now + backoff(attempts), error=str(error))
        _refused(item, "will be retried", error)
        return "retried"
    # The window: accepted by the server, not yet recorded. A crash here repeats this one.
    store.mark_sent(item.id, at=now)
    if guard:
        guard.sent(item.recipient, now)
    log.info("message sent", extra={"ticket": item.issue_key, "template": item.template})
    return "sent"


def _refused(item: OutboxMessage, what: str, error: Exception) -> None:
    log.warning("message %s for %s %s: %s", item.template, item.issue_key, what, error,
                extra={"ticket": item.issue_key})
