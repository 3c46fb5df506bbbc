"""Polling against the sandbox: nothing missed whatever the account's time zone, nothing
repeated, and the bookmark never passes the cycle's start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.state.sqlite import SqliteStateStore

ROOT = Path(__file__).resolve().parents[2]
UTC_NOON = datetime(2026, 12, 1, 18, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox("cloud", now=UTC_NOON) as sandbox:
        monkeypatch.setenv("TICKETFLOW_JIRA_URL", sandbox.url)
        monkeypatch.setenv("TICKETFLOW_JIRA_EMAIL", API_USER)
        monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", API_TOKEN)
        monkeypatch.setenv("TICKETFLOW_STATE_DB", str(tmp_path / "state.db"))
        monkeypatch.setenv("TICKETFLOW_OUTBOX_DIR", str(tmp_path / "outbox"))
        monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")
        assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        yield sandbox


def _once(now: datetime) -> None:
    assert main(["once", "--now", now.isoformat(), "--config-dir", str(ROOT)]) == 0


def _create(sandbox: Sandbox, summary: str) -> None:
    (key,) = sandbox.seed_issues(1, status="Pending", start=sandbox.now())
    assert key


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Pacific/Honolulu", "Australia/Eucla"])
def test_a_change_right_after_the_bookmark_is_seen_in_any_account_zone(
        sandbox: Sandbox, zone: str, tmp_path: Path) -> None:
    """JQL dates would be read in the account's zone; epoch bounds make that irrelevant: a
    ticket created a minute after a cycle is acknowledged by the next one."""
    sandbox.set_time_zone(zone)
    _once(UTC_NOON)
    sandbox.set_clock(UTC_NOON + timedelta(minutes=1))
    _create(sandbox, "Right after the bookmark")
    _once(UTC_NOON + timedelta(minutes=2))
    assert len(list((tmp_path / "outbox").glob("*request_submitted*.eml"))) == 1


def test_bookmark_is_capped_at_cycle_start_and_replays_are_deduplicated(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """An issue stamped after the cycle's start does not move the bookmark past that start;
    the next cycle sees it again and does not act twice."""
    _once(UTC_NOON)
    sandbox.set_clock(UTC_NOON + timedelta(minutes=30))   # Jira's clock runs ahead
    _create(sandbox, "Stamped after the cycle started")
    _once(UTC_NOON + timedelta(minutes=10))
    store = SqliteStateStore(tmp_path / "state.db")
    bookmark = store.bookmark("HELP")
    store.close()
    assert bookmark is not None
    assert bookmark.since <= UTC_NOON + timedelta(minutes=10)
    _once(UTC_NOON + timedelta(minutes=40))
    _once(UTC_NOON + timedelta(minutes=41))
    assert len(list((tmp_path / "outbox").glob("*request_submitted*.eml"))) == 1


def test_a_host_twenty_minutes_ahead_of_jira_misses_nothing(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """The host's clock is 20 minutes ahead of Jira's. The first run's bookmark is Jira's
    `serverInfo.serverTime`, so a ticket Jira stamps right after it (20 minutes "before" the
    host's now) is mirrored and acknowledged by the next cycle; the bookmark is Jira's time."""
    _once(UTC_NOON + timedelta(minutes=20))
    sandbox.set_clock(UTC_NOON + timedelta(minutes=1))
    _create(sandbox, "Created in the host's future")
    sandbox.set_clock(UTC_NOON + timedelta(minutes=5))
    _once(UTC_NOON + timedelta(minutes=25))
    assert len(list((tmp_path / "outbox").glob("*request_submitted*.eml"))) == 1
    store = SqliteStateStore(tmp_path / "state.db")
    bookmark = store.bookmark("HELP")
    offset = store.project_clock("HELP").offset_seconds
    store.close()
    assert bookmark is not None and bookmark.since <= UTC_NOON + timedelta(minutes=5)
    assert offset == -1200.0
