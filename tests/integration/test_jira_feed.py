"""Jira's change feed over the sandbox: bookmarks on Jira's clock, the clock measured once an
hour, and what an earlier run learnt kept in the notes (an idle cycle is one search)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from connector.config.loader import Config, load_config
from connector.http.retry import Retrier
from connector.sandbox import Sandbox
from connector.settings import Settings
from connector.tracker.jira.tracker import JiraTracker, open_tracker
from connector.tracker.values import NewTicket

HOST_NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
BEHIND = timedelta(minutes=20)
ROOT = Path(__file__).resolve().parents[2]


class Notes(dict[str, str]):
    """The state's meta table, in memory."""

    def meta(self, key: str) -> str | None:
        return self.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self[key] = value


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A Jira whose clock is 20 minutes behind the host's (HOST_NOW)."""
    with Sandbox("cloud", now=HOST_NOW - BEHIND) as running:
        yield running


@pytest.fixture
def config() -> Config:
    return load_config(ROOT)


def _tracker(sandbox: Sandbox, config: Config, notes: Notes) -> JiraTracker:
    settings = Settings(jira_url=sandbox.url, jira_email=sandbox.email,
                        jira_token=SecretStr(sandbox.token), jira_flavor="auto",
                        _env_file=None)  # type: ignore[call-arg]
    return open_tracker(config, settings, notes=notes, retrier=Retrier(sleep=lambda _: None))


def _requests(sandbox: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = sandbox.request_counts()["by_endpoint"]
    sandbox.reset_request_counts()
    return counts


def test_bookmarks_follow_jiras_clock_not_the_hosts(sandbox: Sandbox, config: Config) -> None:
    """The backfill's bookmark is Jira's time (20 minutes behind the host), its offset kept;
    a ticket Jira stamps just after it is polled as new, and no bookmark passes Jira's own
    time at the cycle's start, whatever the host's clock says."""
    notes = Notes()
    tracker = _tracker(sandbox, config, notes)
    pages = list(tracker.changes(None, now=HOST_NOW))
    assert pages[-1].baseline == HOST_NOW - BEHIND
    assert notes["clock offset HELP"] == "-1200.000"
    sandbox.advance_clock(timedelta(minutes=1))
    key = tracker.create(NewTicket("Locked out", ""))
    later = list(tracker.changes(pages[-1].bookmark, now=HOST_NOW + timedelta(minutes=2)))
    assert [t.ticket.key for p in later for t in p.tickets] == [key]
    bookmark = datetime.fromisoformat(str(later[-1].bookmark))
    assert bookmark == HOST_NOW - BEHIND + timedelta(minutes=1)
    assert bookmark <= sandbox.now()


def test_an_idle_cycle_is_one_search_and_the_clock_is_asked_hourly(
        sandbox: Sandbox, config: Config) -> None:
    """Once a run has met this Jira (flavor, identity and clock in the notes), a new process's
    idle poll asks Jira one search; an hour after the last measure, serverInfo once more."""
    notes = Notes()
    first = _tracker(sandbox, config, notes)
    bookmark = list(first.changes(None, now=HOST_NOW))[-1].bookmark
    first.myself()
    _requests(sandbox)
    later = _tracker(sandbox, config, notes)  # the next cron run: a new process
    later.myself()
    sandbox.advance_clock(timedelta(minutes=30))
    list(later.changes(bookmark, now=HOST_NOW + timedelta(minutes=30)))
    assert _requests(sandbox) == {"POST /rest/api/3/search/jql": 1}
    sandbox.advance_clock(timedelta(minutes=31))
    list(later.changes(bookmark, now=HOST_NOW + timedelta(minutes=61)))
    assert _requests(sandbox) == {"GET /rest/api/3/serverInfo": 1,
                                  "POST /rest/api/3/search/jql": 1}
