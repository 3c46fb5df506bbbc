"""Who gets no automatic mail: loop-prone addresses, our own, suppressed ones, and floods."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from connector.state.base import WEBHOOK_PREFIX
from connector.state.concerns import SendHistory, Suppressions

log = logging.getLogger(__name__)

# RFC 3834 and the helpdesks that learnt it the hard way (Zammad's send_no_auto_response
# pattern, RT, osTicket): never answer a machine, or a list's administrative address.
BUILT_IN = (
    r"^(mailer[-_]?daemon|postmaster|abuse|root)@",
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply)[^@]*@",
    r"^bounces?([-+._][^@]*)?@",
    r"^owner-[^@]+@",
    r"^[^@]+-request@",
)
_BUILT_IN = re.compile("|".join(f"(?:{p})" for p in BUILT_IN), re.IGNORECASE)


def refusal(address: str | None, *, own: Iterable[str], extra: Sequence[str] = (),
            store: Suppressions | None = None, now: datetime | None = None) -> str | None:
    """Why `address` must get no automatic mail, or None when it may."""
    plain = (address or "").strip().removeprefix(WEBHOOK_PREFIX).lower()
    if plain in ("", "<>"):
        return "null sender (RFC 3834: never answer it)"
    if plain in {o.strip().lower() for o in own if o}:
        return f"{plain} is our own address (a mail loop)"
    if _BUILT_IN.search(plain):
        return f"{plain} is an automatic or administrative address (no-auto-reply list)"
    for pattern in extra:
        if re.search(pattern, plain, re.IGNORECASE):
            return f"{plain} matches no_auto_reply {pattern!r} in rules.yaml"
    if store is not None and now is not None:
        reason = store.suppression(plain, now)
        if reason:
            return f"{plain} is suppressed: {reason}"
    return None


class GuardState(Suppressions, SendHistory, Protocol):
    """What the guard reads and writes: suppressions, and each recipient's sends."""


class DeliveryGuard:
    """Checked by the delivery step before each send: suppressions, and at most `limit`
    messages to one recipient per `window`; a flood is suppressed and reported once.

    The sends are kept in the state (a row per send, forgotten once out of the window) so
    the count survives cron's one-process-per-cycle runs.
    """

    def __init__(self, store: GuardState, *, limit: int, window: timedelta,
                 own: Iterable[str] = (), extra: Sequence[str] = (),
                 staff: Iterable[str] = ()) -> None:
        self.store = store
        self.limit = limit
        self.window = window
        # The flood limit stops loops with outside auto-responders; the team's own notices are
        # its work queue (a busy hour of escalations is not a flood), so staff are exempt.
        self.staff = frozenset(address.lower() for address in staff)
        self.own = tuple(own)
        self.extra = tuple(extra)

    def refuse(self, recipient: str, now: datetime) -> str | None:
        """Why this send must not happen now, or None."""
        reason = refusal(recipient, own=self.own, extra=self.extra, store=self.store, now=now)
        if reason or recipient.strip().lower() in self.staff:
            return reason
        recent = self._recent(recipient, now)
        if len(recent) < self.limit:
            return None
        until = now + self.window
        self.store.suppress(recipient, reason="rate limit", until=until, at=now)
        self._report(recipient, len(recent), until, now)
        return f"rate limit: {len(recent)} messages to {recipient} within {self.window}"

    def sent(self, recipient: str, now: datetime) -> None:
        """Count one delivered message."""
        self.store.record_send(recipient, at=now, keep_after=now - self.window)

    def _recent(self, recipient: str, now: datetime) -> list[datetime]:
        return [t for t in self.store.sends_since(recipient, now - self.window) if t <= now]

    def _report(self, recipient: str, count: int, until: datetime, now: datetime) -> None:
        """One WARNING per flood, not one per blocked message (across processes, too)."""
        last = self.store.flood_reported_until(recipient)
        if last is not None and last > now:
            return
        log.warning("rate limit: %d messages to %s within %s; no automatic mail to it until "
                    "%s (blocked messages stay in `ticketflow outbox` as failed)", count,
                    recipient, self.window, until.isoformat(timespec="minutes"),
                    extra={"recipient": recipient})
        self.store.report_flood(recipient, until=until)
