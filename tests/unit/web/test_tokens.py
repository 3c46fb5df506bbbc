"""Feedback tokens: signed, expiring, and refused when tampered with, truncated or re-keyed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from connector.settings import Settings
from connector.state.sqlite import SqliteStateStore
from connector.web.tokens import (
    FeedbackRef,
    TokenExpiredError,
    TokenInvalidError,
    make_token,
    read_token,
    signing_key,
)

KEY = b"k" * 32
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
REF = FeedbackRef("HELP-12", 2, NOW + timedelta(days=30))


def test_round_trip_and_url_safe() -> None:
    """A token reads back as the ticket, resolution and expiry it was made for, and needs no
    escaping in a URL path."""
    token = make_token(KEY, REF)
    assert read_token(KEY, token, now=NOW) == REF
    assert all(c.isalnum() or c in "-_." for c in token)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("tamper", [
    lambda t: _b64(b"HELP-13:2:" + t.split(".")[0].encode()[-3:]) + "." + t.split(".")[1],
    lambda t: _b64(f"HELP-12:3:{int((NOW + timedelta(days=30)).timestamp())}".encode())
    + "." + t.split(".")[1],
    lambda t: _b64(f"HELP-12:2:{int((NOW + timedelta(days=999)).timestamp())}".encode())
    + "." + t.split(".")[1],
    lambda t: t[:-2],
    lambda t: t.split(".")[0],
    lambda t: t + "A",
    lambda t: "not a token",
    lambda t: "",
    lambda t: t.replace(".", ".!"),
])
def test_tampering_is_refused(tamper: object) -> None:
    """Another ticket, another resolution, a later expiry, a cut or extended signature, or
    garbage: TokenInvalidError (a 403), never a wrong ticket."""
    token = tamper(make_token(KEY, REF))  # type: ignore[operator]
    with pytest.raises(TokenInvalidError):
        read_token(KEY, token, now=NOW)


def test_another_key_is_refused() -> None:
    """A token signed with another secret does not verify."""
    with pytest.raises(TokenInvalidError):
        read_token(b"other key", make_token(KEY, REF), now=NOW)


def test_expiry() -> None:
    """Valid until the instant it expires; from then on TokenExpiredError (a 410)."""
    token = make_token(KEY, REF)
    read_token(KEY, token, now=REF.expires - timedelta(seconds=1))
    with pytest.raises(TokenExpiredError):
        read_token(KEY, token, now=REF.expires)


def test_signing_key_from_settings_or_kept_in_state() -> None:
    """TICKETFLOW_FEEDBACK_SECRET wins; without it one key is made once and kept."""
    store = SqliteStateStore(":memory:")
    configured = Settings(feedback_secret="s3cret", _env_file=None)  # type: ignore[call-arg]
    assert signing_key(configured, store) == b"s3cret"
    unset = Settings(_env_file=None)  # type: ignore[call-arg]
    first = signing_key(unset, store)
    assert len(first) >= 32 and signing_key(unset, store) == first
