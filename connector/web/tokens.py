"""Feedback link tokens: an HMAC-signed, expiring reference to a ticket and its resolution."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from connector.errors import TicketflowError
from connector.settings import Settings
from connector.state.concerns import InstallationKeys

log = logging.getLogger(__name__)
# Domain separation: a signature made for anything else with the same key never verifies.
_PURPOSE = b"ticketflow feedback v1\x00"
_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,9}-\d{1,12}$")


class TokenError(TicketflowError):
    """A feedback link that cannot be honoured."""


class TokenInvalidError(TokenError):
    """Not a token we signed (tampered, truncated, or signed with another key): 403."""


class TokenExpiredError(TokenError):
    """Genuine but past its expiry: 410."""


@dataclass(frozen=True)
class FeedbackRef:
    """What a token stands for."""

    issue_key: str
    resolution: int
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _PURPOSE + payload, hashlib.sha256).digest()


def make_token(key: bytes, ref: FeedbackRef) -> str:
    """`<payload>.<signature>`, both base64url: safe in a URL path as it is."""
    payload = f"{ref.issue_key}:{ref.resolution}:{int(ref.expires.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_sign(key, payload))}"


def read_token(key: bytes, token: str, *, now: datetime) -> FeedbackRef:
    """The reference a token carries, after checking its signature, then its expiry."""
    encoded, dot, signature = token.partition(".")
    try:
        payload, given = _unb64(encoded), _unb64(signature)
    except (ValueError, TypeError):
        raise TokenInvalidError("malformed feedback token") from None
    # compare_digest: the time taken says nothing about how much of a forgery matched.
    if not dot or not hmac.compare_digest(given, _sign(key, payload)):
        raise TokenInvalidError("feedback token signature does not match")
    issue_key, _, rest = payload.decode("ascii", errors="replace").partition(":")
    resolution, _, expires = rest.partition(":")
    if not (_KEY.match(issue_key) and resolution.isdigit() and expires.isdigit()):
        raise TokenInvalidError("feedback token payload is malformed")
    ref = FeedbackRef(issue_key, int(resolution), datetime.fromtimestamp(int(expires), UTC))
    if now >= ref.expires:
        raise TokenExpiredError(f"feedback link for {issue_key} expired {ref.expires:%Y-%m-%d}")
    return ref


def signing_key(settings: Settings, store: InstallationKeys) -> bytes:
    """TICKETFLOW_FEEDBACK_SECRET; without it, a random key made once and kept in the state
    database, so links work out of the box and survive restarts (the state file already holds
    customer data and is protected like a secret)."""
    if settings.feedback_secret is not None and settings.feedback_secret.get_secret_value():
        return settings.feedback_secret.get_secret_value().encode()
    made = secrets.token_urlsafe(32)
    kept = store.installation_key("feedback-signing", made)
    if kept == made:
        log.info("made a feedback signing key and kept it in the state database; set "
                 "TICKETFLOW_FEEDBACK_SECRET to choose your own")
    return kept.encode()
