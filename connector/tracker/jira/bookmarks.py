"""Jira's change feed: issues updated since an instant of Jira's clock, kept as ISO text.

The search is bounded below by epoch milliseconds (so the account's time zone cannot shift
it), reaches back an overlap window for Jira's eventually consistent index and has no upper
bound; changes are de-duplicated by changelog id in the core. A page's bookmark is its newest
`updated`, never past the cycle's start on Jira's clock, so anything changed during the cycle
is fetched again. Jira stamps `updated` with its own clock, which may differ from the host's:
its offset is measured (`serverInfo`) at the backfill and again once an hour, and kept in the
state's notes, so a cron-driven cycle asks Jira nothing but the search. Several projects are
searched at once (`project in (...)`): an idle cycle costs one request however many there are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from connector.tracker.base import MirroredVersions, Notes
from connector.tracker.feed import FeedPage, TicketChanges
from connector.tracker.jira.client import JiraClient
from connector.tracker.jira.records import Issue
from connector.tracker.jira.translate import JiraProjects, oldest_first

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=5)
MEASURE_EVERY = timedelta(hours=1)


class JiraFeed:
    """`Tracker.changes` for the Jira projects of mappings.yaml, in one search."""

    def __init__(self, client: JiraClient, projects: JiraProjects, notes: Notes | None,
                 *, overlap: timedelta = OVERLAP, page_size: int = 100) -> None:
        self._client = client
        self._projects = projects
        self._notes = notes
        self.overlap = overlap
        self.page_size = page_size

    @property
    def project(self) -> str:
        """The default project: the notes name Jira's clock after it (one Jira, one clock)."""
        return self._projects.default.project

    def changes(self, bookmark: str | None, *, now: datetime,
                mirrored: MirroredVersions | None = None) -> Iterator[FeedPage]:
        """Pages of changed issues with their bookmarks; with None, the backfill. Issues
        whose `updated` is what `mirrored` holds are left out, their changelogs unread."""
        if bookmark is None:
            yield from self._backfill(now)
            return
        since = datetime.fromisoformat(bookmark)
        if self._measured_before(now):
            self.measure(now)
        cap = now + self._offset()
        unchanged = _Unchanged(mirrored) if mirrored is not None else None
        for page in self._client.search_changed(self._projects.keys, since=since - self.overlap,
                                                page_size=self.page_size, unchanged=unchanged):
            newest = max(issue.updated for issue in page)
            changed = [i for i in page if unchanged is None or i.id not in unchanged.ids]
            yield FeedPage(self._histories(changed), _text(max(min(newest, cap), since)))

    def _backfill(self, now: datetime) -> Iterator[FeedPage]:
        """Every open issue, then the first bookmark: Jira's time before the search, so an
        issue created meanwhile (or in any gap between the clocks) is polled as new."""
        baseline = now + self._offset() if self._measured_at(now) else self.measure(now)
        for page in self._client.search_open(self._projects.keys,
                                             done_statuses=self._projects.done_by_project(),
                                             page_size=self.page_size):
            yield FeedPage(self._histories(page), None)
        yield FeedPage((), _text(baseline), baseline=baseline)

    def count_open(self) -> int:
        return self._client.count(self._projects.keys,
                                  done_statuses=self._projects.done_by_project())

    def _histories(self, page: list[Issue]) -> tuple[TicketChanges, ...]:
        """The page's issues with their whole changelogs (fetched for the page at once)."""
        if not page:
            return ()
        logs = self._client.changelogs([issue.id for issue in page])
        return tuple(TicketChanges(self._projects.of(issue.key).ticket(issue), tuple(oldest_first(
            self._projects.of(issue.key).change(c) for c in logs.get(issue.id, []))))
            for issue in page)

    def measure(self, now: datetime) -> datetime:
        """Ask Jira its time, keep its offset from the host's, and return it."""
        theirs = self._client.server_time()
        offset = (theirs - now).total_seconds()
        if self._notes is not None:
            self._notes.set_meta(f"clock offset {self.project}", f"{offset:.3f}")
            self._notes.set_meta(f"clock measured {self.project}", now.isoformat())
        if abs(offset) > self.overlap.total_seconds():
            log.warning("the tracker's clock is %+.0f s from this host's; bookmarks follow the "
                        "tracker's", offset, extra={"project": self.project, "offset": offset})
        return theirs

    def _offset(self) -> timedelta:
        known = self._notes.meta(f"clock offset {self.project}") if self._notes else None
        return timedelta(seconds=float(known)) if known else timedelta(0)

    def _measured_before(self, now: datetime) -> bool:
        """The offset is an hour old (or was never measured by this ticketflow)."""
        if self._notes is None:
            return False
        measured = self._notes.meta(f"clock measured {self.project}")
        return measured is None or now - datetime.fromisoformat(measured) >= MEASURE_EVERY

    def _measured_at(self, now: datetime) -> bool:
        """Measured in this very cycle already (a census repair after the poll)."""
        measured = self._notes.meta(f"clock measured {self.project}") if self._notes else None
        return measured is not None and datetime.fromisoformat(measured) == now


class _Unchanged:
    """Which issues of each search page the mirror holds as they are (asked once a page),
    and all it found so far. Equal `updated` means unchanged because Jira stamps in
    milliseconds and its search index lags a change by far more than that: a change made
    after the mirror's read carries a later stamp than the one that read saw."""

    def __init__(self, mirrored: MirroredVersions) -> None:
        self._mirrored = mirrored
        self.ids: set[str] = set()

    def __call__(self, page: list[Issue]) -> set[str]:
        held = self._mirrored([issue.id for issue in page])
        found = {issue.id for issue in page if held.get(issue.id) == issue.updated}
        self.ids |= found
        return found


def _text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()
