"""Webhook signatures: Jira's X-Hub-Signature and Zendesk's timestamped one are accepted only
when they prove the secret over this very body; Zendesk's are refused when stale or replayed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from connector.clock import SettableClock
from connector.web.signatures import (
    JIRA_SIGNATURE,
    ZENDESK_SIGNATURE,
    ZENDESK_TIMESTAMP,
    JiraSignature,
    ZendeskSignature,
)

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SECRET = b"zendesk-signing-secret-0123456789"
BODY = b'{"type":"zen:event-type:ticket.status_changed","subject":"zen:ticket:7"}'


def test_jira_accepts_the_published_hmac_sha256_example() -> None:
    """GitHub documents this X-Hub-Signature-style example (secret "It's a Secret to
    Everybody", body "Hello, World!"); the same hex HMAC-SHA256 is what Jira Cloud sends, so
    a verifier that accepts it computes the signature as the senders do."""
    verifier = JiraSignature(b"It's a Secret to Everybody")
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert verifier.verify({JIRA_SIGNATURE: signature}, b"Hello, World!").accepted
    assert verifier.verify({JIRA_SIGNATURE: signature.upper().replace("SHA256", "sha256")},
                           b"Hello, World!").accepted  # hex digits in either case


@pytest.mark.parametrize(("header", "body", "outcome"), [
    (None, b"Hello, World!", "unsigned"),
    ("", b"Hello, World!", "unsigned"),
    ("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
     b"Hello, World?", "bad_signature"),                        # the body was changed
    # the true HMAC-SHA1 of the body: right secret, but an algorithm Jira does not use
    ("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", b"Hello, World!", "bad_signature"),
    ("sha256=not-hex", b"Hello, World!", "bad_signature"),
    ("sha256=757107ea", b"Hello, World!", "bad_signature"),     # a prefix of the right one
])
def test_jira_refuses_what_does_not_prove_the_secret(header: str | None, body: bytes,
                                                     outcome: str) -> None:
    """Missing, another algorithm, unreadable, truncated, or over another body: refused, each
    with the outcome /metrics counts it under."""
    headers = {} if header is None else {JIRA_SIGNATURE: header}
    verdict = JiraSignature(b"It's a Secret to Everybody").verify(headers, body)
    assert (verdict.accepted, verdict.outcome) == (False, outcome)
    assert verdict.reason


def _zendesk(body: bytes, at: datetime, secret: bytes = SECRET) -> dict[str, str]:
    """Headers as Zendesk documents them: base64(HMAC-SHA256(secret, timestamp + body))."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret, stamp.encode() + body, hashlib.sha256).digest()
    return {ZENDESK_SIGNATURE: base64.b64encode(digest).decode(), ZENDESK_TIMESTAMP: stamp}


def test_zendesk_accepts_a_fresh_signature_once_and_refuses_its_replay() -> None:
    """A fresh signed request passes; the very same request again, a minute later and still
    within the freshness window, is a replay; another delivery is accepted."""
    clock = SettableClock(NOW)
    verifier = ZendeskSignature(SECRET, clock)
    first = _zendesk(BODY, NOW - timedelta(seconds=2))
    assert verifier.verify(first, BODY).accepted
    clock.advance(timedelta(minutes=1))
    replay = verifier.verify(first, BODY)
    assert (replay.accepted, replay.outcome) == (False, "replayed")
    assert verifier.verify(_zendesk(BODY, clock.now()), BODY).accepted


def test_zendesk_refuses_a_stale_or_future_timestamp() -> None:
    """Signed six minutes ago, or six minutes ahead of this host: stale (a replay of an old
    capture, or clocks too far apart); four minutes either way still passes."""
    verifier = ZendeskSignature(SECRET, SettableClock(NOW))
    for minutes, outcome in ((-6, "stale"), (6, "stale"), (-4, "accepted"), (4, "accepted")):
        verdict = verifier.verify(_zendesk(BODY, NOW + timedelta(minutes=minutes)), BODY)
        assert verdict.outcome == outcome, minutes


def test_a_replay_after_the_window_is_stale_not_remembered() -> None:
    """Signatures are remembered only while their timestamp is fresh: later the same request
    is refused as stale, so the memory of seen signatures never needs to grow for it."""
    clock = SettableClock(NOW)
    verifier = ZendeskSignature(SECRET, clock)
    headers = _zendesk(BODY, NOW)
    assert verifier.verify(headers, BODY).accepted
    clock.advance(timedelta(minutes=10))
    assert verifier.verify(headers, BODY).outcome == "stale"
    assert verifier.verify(_zendesk(BODY, clock.now()), BODY).accepted


@pytest.mark.parametrize(("change", "outcome"), [
    ("missing signature", "unsigned"),
    ("missing timestamp", "unsigned"),
    ("other secret", "bad_signature"),
    ("changed body", "bad_signature"),
    ("changed timestamp", "bad_signature"),
    ("not base64", "bad_signature"),
])
def test_zendesk_refuses_what_does_not_prove_the_secret(change: str, outcome: str) -> None:
    """Each way of not proving the signing secret over this timestamp and body is refused
    with the outcome counted in /metrics, before the timestamp is even read."""
    headers = _zendesk(BODY, NOW, secret=b"another-secret-0123456789" if change ==
                       "other secret" else SECRET)
    body = BODY + b" " if change == "changed body" else BODY
    if change == "missing signature":
        del headers[ZENDESK_SIGNATURE]
    elif change == "missing timestamp":
        del headers[ZENDESK_TIMESTAMP]
    elif change == "changed timestamp":
        headers[ZENDESK_TIMESTAMP] = (NOW + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif change == "not base64":
        headers[ZENDESK_SIGNATURE] = "!!" + headers[ZENDESK_SIGNATURE]
    verdict = ZendeskSignature(SECRET, SettableClock(NOW)).verify(headers, body)
    assert verdict.outcome == outcome


def test_a_signed_timestamp_that_is_no_instant_is_refused() -> None:
    """A timestamp that the signature covers but that names no instant cannot be checked for
    freshness, so the request is refused rather than trusted."""
    stamp = "yesterday"
    digest = hmac.new(SECRET, stamp.encode() + BODY, hashlib.sha256).digest()
    headers = {ZENDESK_SIGNATURE: base64.b64encode(digest).decode(), ZENDESK_TIMESTAMP: stamp}
    assert ZendeskSignature(SECRET, SettableClock(NOW)).verify(headers, BODY).outcome == \
        "bad_signature"
