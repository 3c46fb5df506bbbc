"""No automatic mail to machines, list addresses, ourselves or suppressed addresses; floods
are stopped per recipient and reported once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from connector.mail.suppress import DeliveryGuard, refusal
from connector.state.sqlite import SqliteStateStore

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
OWN = ("redcap_helpdesk@example.edu", "tf@example.edu")


@pytest.mark.parametrize("address", [
    "", "<>", None, "MAILER-DAEMON@mx.example.org", "mailer_daemon@x.org", "postmaster@x.org",
    "noreply@github.com", "no-reply@accounts.google.com", "do-not-reply@x.org",
    "donotreply@x.org", "noreply.alerts@x.org", "bounce@x.org", "bounces+abc=x@lists.x.org",
    "owner-redcap-l@lists.x.org", "redcap-l-request@lists.x.org",
    "Redcap_Helpdesk@Example.edu", "tf@example.edu", "root@cluster.x.org",
])
def test_never_automatic_mail_to(address: str | None) -> None:
    """RFC 3834 and helpdesk practice: null sender, daemons, no-reply, list admin addresses
    and our own addresses (case-insensitive) are refused, with a reason."""
    assert refusal(address, own=OWN) is not None


@pytest.mark.parametrize("address", [
    "pat.doe@uni.example.edu", "noreen.replyson@x.org", "bouncer.jane@x.org",
    "requester@x.org", "owner@x.org",
])
def test_people_are_not_caught_by_the_patterns(address: str) -> None:
    """Look-alike names of real people still get mail."""
    assert refusal(address, own=OWN) is None


def test_admin_patterns_and_the_suppression_list() -> None:
    """rules.yaml `no_auto_reply` patterns and store suppressions (bounces) are refused too,
    and a suppression ends at its `until`."""
    store = SqliteStateStore(":memory:")
    assert refusal("alerts@monitor.x.org", own=OWN, extra=[r"@monitor\."]) is not None
    store.suppress("pat@x.org", reason="bounced: 5.1.1", until=NOW + timedelta(days=60), at=NOW)
    assert "bounced" in (refusal("Pat@X.org", own=OWN, store=store, now=NOW) or "")
    assert refusal("pat@x.org", own=OWN, store=store, now=NOW + timedelta(days=61)) is None


def test_rate_limit_stops_a_flood_and_reports_once(caplog: pytest.LogCaptureFixture) -> None:
    """10 per hour pass; the 11th trips the limit, suppresses the address for the window and
    logs one WARNING; 30 more attempts log nothing more; after the window, mail flows again."""
    store = SqliteStateStore(":memory:")
    guard = DeliveryGuard(store, limit=10, window=timedelta(hours=1), own=OWN)
    caplog.set_level(logging.WARNING)
    for n in range(10):
        at = NOW + timedelta(minutes=n)
        assert guard.refuse("pat@x.org", at) is None
        guard.sent("pat@x.org", at)
    assert "rate limit" in (guard.refuse("pat@x.org", NOW + timedelta(minutes=10)) or "")
    for n in range(30):
        assert guard.refuse("pat@x.org", NOW + timedelta(minutes=11 + n // 2)) is not None
    assert guard.refuse("other@x.org", NOW + timedelta(minutes=12)) is None
    assert caplog.text.count("rate limit") == 1
    assert store.suppression("pat@x.org", NOW + timedelta(minutes=30)) == "rate limit"
    later = NOW + timedelta(hours=2)
    assert guard.refuse("pat@x.org", later) is None


def test_rate_limit_counts_survive_a_new_process() -> None:
    """The count lives in the state, so cron's one-process-per-cycle runs share it."""
    store = SqliteStateStore(":memory:")
    for _ in range(3):  # three processes, one message each
        DeliveryGuard(store, limit=3, window=timedelta(hours=1)).sent("pat@x.org", NOW)
    fresh = DeliveryGuard(store, limit=3, window=timedelta(hours=1))
    assert fresh.refuse("pat@x.org", NOW + timedelta(minutes=1)) is not None


def test_staff_are_exempt_from_the_flood_limit_but_not_from_the_rest() -> None:
    """An engineer's busy hour of notices is their work queue, not a flood; a customer at the
    same pace is stopped; a bounced engineer's address is still refused."""
    store = SqliteStateStore(":memory:")
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    guard = DeliveryGuard(store, limit=3, window=timedelta(hours=1),
                          staff=["Bob@Example.edu", "carol@example.edu"])
    for minute in range(6):
        at = now + timedelta(minutes=minute)
        assert guard.refuse("bob@example.edu", at) is None
        guard.sent("bob@example.edu", at)
    refused = []
    for minute in range(6):
        at = now + timedelta(minutes=minute)
        reason = guard.refuse("pat@uni.example.edu", at)
        refused.append(reason)
        if reason is None:
            guard.sent("pat@uni.example.edu", at)
    assert refused[:3] == [None, None, None]
    assert refused[3] is not None
    assert "rate limit" in refused[3]
    store.suppress("carol@example.edu", reason="bounced: 5.1.1", until=now + timedelta(days=60),
                   at=now)
    assert "bounced" in (guard.refuse("carol@example.edu", now) or "")
