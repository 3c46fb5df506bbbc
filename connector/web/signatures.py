"""Webhook signatures: Jira's `X-Hub-Signature` and Zendesk's timestamped signature, checked.

Jira Cloud signs an admin webhook that has a secret with `X-Hub-Signature: sha256=<hex
HMAC-SHA256 of the raw body>` (no timestamp: the body carries Jira's own). Zendesk signs
`timestamp + raw body` and sends `X-Zendesk-Webhook-Signature` (base64) and
`X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601); its timestamp is what lets us refuse a
replay: too old or too new is stale, and a signature seen once within the window is refused
the second time. Every comparison of a signature is constant-time.

A verdict says only whether the request came from the tracker; nothing in the body is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.clock import Clock

# How far a Zendesk timestamp may be from our clock, either way: the delivery's own delay
# plus clock skew between Zendesk and this host. A replay must come within it, and is then
# caught by the signature it repeats.
FRESH_FOR = timedelta(minutes=5)
# Signatures remembered to catch replays; only validly signed requests are kept, so nobody
# without the secret can fill it. Past it, the oldest are forgotten (still bounded by FRESH_FOR).
REMEMBERED = 10_000

JIRA_SIGNATURE = "HTTP_X_HUB_SIGNATURE"
ZENDESK_SIGNATURE = "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE"
ZENDESK_TIMESTAMP = "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP"


@dataclass(frozen=True)
class Verdict:
    """`outcome` is `accepted` or why not (unsigned, bad_signature, stale, replayed); `reason`
    says it in words for the log."""

    outcome: str
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"


ACCEPTED = Verdict("accepted")


def _raw(header: str) -> bytes:
    """A WSGI header value back as the bytes that were sent (PEP 3333: latin-1)."""
    return header.encode("latin-1", "replace")


class JiraSignature:
    """`X-Hub-Signature: sha256=<hex>` over the raw body, keyed by the shared secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        given = headers.get(JIRA_SIGNATURE, "").strip()
        if not given:
            return Verdict("unsigned", "no X-Hub-Signature header (is the webhook's secret set "
                           "in Jira?)")
        method, _, hex_digest = given.partition("=")
        if method.strip().lower() != "sha256":
            return Verdict("bad_signature", "X-Hub-Signature is not sha256=<hex>")
        try:
            sent = bytes.fromhex(hex_digest.strip())
        except ValueError:
            return Verdict("bad_signature", "X-Hub-Signature is not sha256=<hex>")
        expected = hmac.new(self._secret, body, hashlib.sha256).digest()
        if not hmac.compare_digest(sent, expected):
            return Verdict("bad_signature", "X-Hub-Signature does not match the body "
                           "(a different secret, or a changed body)")
        return ACCEPTED


class ZendeskSignature:
    """base64(HMAC-SHA256(timestamp + raw body)), the timestamp fresh, each signature once."""

    def __init__(self, secret: bytes, clock: Clock, *, fresh_for: timedelta = FRESH_FOR,
                 remembered: int = REMEMBERED) -> None:
        self._secret = secret
        self._clock = clock
        self._fresh_for = fresh_for
        self._remembered = remembered
        self._seen: OrderedDict[bytes, datetime] = OrderedDict()  # signature -> forget after
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        given = headers.get(ZENDESK_SIGNATURE, "").strip()
        stamp = headers.get(ZENDESK_TIMESTAMP, "").strip()
        if not given or not stamp:
            return Verdict("unsigned", "no X-Zendesk-Webhook-Signature and -Timestamp headers")
        try:
            sent = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            return Verdict("bad_signature", "X-Zendesk-Webhook-Signature is not base64")
        expected = hmac.new(self._secret, _raw(stamp) + body, hashlib.sha256).digest()
        if not hmac.compare_digest(sent, expected):
            return Verdict("bad_signature", "X-Zendesk-Webhook-Signature does not match the "
                           "timestamp and body (a different signing secret, or a change)")
        # Only now is the timestamp Zendesk's own word, worth reading.
        when = _instant(stamp)
        if when is None:
            return Verdict("bad_signature", "the signature timestamp is no ISO 8601 instant")
        now = self._clock.now()
        if abs(now - when) > self._fresh_for:
            return Verdict("stale", f"signed at {stamp}, more than "
                           f"{int(self._fresh_for.total_seconds())}s from this host's clock "
                           "(a replay, or a clock that is off)")
        return ACCEPTED if self._first_time(sent, now, when) else Verdict(
            "replayed", "this signature was accepted before (a replay)")

    def _first_time(self, signature: bytes, now: datetime, when: datetime) -> bool:
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now:
                self._seen.popitem(last=False)  # past the window: a replay is stale anyway
            if signature in self._seen:
                return False
            self._seen[signature] = when + self._fresh_for
            while len(self._seen) > self._remembered:
                self._seen.popitem(last=False)
            return True


def _instant(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None
