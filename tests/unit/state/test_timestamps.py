"""Every table stores instants one way: naive datetimes are refused wherever they are written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connector.state.feedback import record
from connector.state.intake import IntakeStore
from connector.state.sqlite import SqliteStateStore
from connector.state.timestamps import from_text, to_text

NAIVE = datetime(2026, 12, 1, 9, 0)  # no zone: the point of the test


def test_text_is_fixed_width_utc_and_sorts_like_the_instants() -> None:
    """Two instants in different zones store as UTC text whose order is the instants' order."""
    chicago = timezone(timedelta(hours=-6))
    early = datetime(2026, 12, 1, 9, 0, tzinfo=chicago)  # 15:00 UTC
    late = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert to_text(early) == "2026-12-01T15:00:00.000000+00:00"
    assert to_text(early) < to_text(late)
    assert from_text(to_text(early)) == early


def test_every_store_refuses_a_naive_datetime() -> None:
    """The mirror, mail intake and feedback all refuse a time without a zone (one definition:
    the feedback table once had its own copy that silently took local time)."""
    store = SqliteStateStore(":memory:")
    with pytest.raises(ValueError, match="timezone-aware"):
        store.suppress("a@example.edu", reason="test", until=NAIVE, at=NAIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        IntakeStore(store.db).begin("k", message_id=None, mailbox="INBOX", ref="1", kind="",
                                    sender=None, automatic=False, at=NAIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        record(store, "HELP-1", 1, score=5, comment="", at=NAIVE)
