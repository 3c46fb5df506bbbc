"""Read the tickets changed in a window through the Tracker protocol, counting what it cost."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from connector.backtest.replay import History, Window
from connector.errors import UsageError
from connector.sync.derive import Vocabulary, events_from, to_ticket
from connector.tracker.base import SupportsWindow, Tracker
from connector.tracker.feed import last_status_entry


@dataclass(frozen=True)
class Reading:
    """The window's tickets with their histories, and the cost of reading them."""

    histories: list[History]
    pages: int          # pages of the change feed (each a search and its changelogs on Jira)
    comment_reads: int  # tickets whose comments the feed did not bring whole
    requests: int       # tracker requests made, as the metrics counted them
    seconds: float


def read_window(tracker: Tracker, window: Window, *, project: str, vocabulary: Vocabulary,
                requests: Callable[[], float]) -> Reading:
    """Every ticket changed since the window's start, with all its changes and comments, and
    its events as the poll derives them. Reads only."""
    if not isinstance(tracker, SupportsWindow):
        raise UsageError("this tracker's change feed cannot start at an instant yet, so "
                         "backtest cannot read a window of it")
    before, started = requests(), time.perf_counter()
    found: dict[str, History] = {}
    pages = comment_reads = 0
    for page in tracker.changes(tracker.bookmark_at(window.start), now=window.end):
        pages += 1 if page.tickets else 0
        for item in page.tickets:
            tracked = item.ticket
            comments = list(item.comments)
            if not tracked.comments_complete:
                comments = tracker.comments(tracked.key)
                comment_reads += 1
            ticket = to_ticket(tracked, project=project, vocabulary=vocabulary, previous=None,
                               status_since=last_status_entry(item.changes))
            events = events_from(tracked, item.changes, vocabulary, is_new=True,
                                 comments=comments)
            found[tracked.id] = History(ticket, item.changes, events)
    return Reading(list(found.values()), pages, comment_reads, int(requests() - before),
                   time.perf_counter() - started)
