"""The service's line per cycle: what mail, sync and delivery did since the last, and its cost."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

from connector import metrics

log = logging.getLogger("connector.cycle")

# What each step's report may carry (intake's IngestReport, the sync's CycleReport, and
# delivery's Delivery), as (attribute, the name it takes in the line).
_MAIL = (("read", "mail_read"), ("tickets", "tickets_created"), ("comments", "comments_made"))
_DELIVERY = (("sent", "messages_sent"), ("failed", "messages_failed"))


class CycleTally:
    """Counts from the mail and delivery jobs (they run on their own timers and threads),
    logged with the sync's own counts as one INFO line each time a sync ends."""

    def __init__(self, requests: Callable[[], float] = metrics.tracker_requests) -> None:
        self.requests = requests
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.requests_before = requests()

    def add(self, step: str, report: object) -> None:
        """Take the counts of one job's report (None and unknown reports add nothing)."""
        fields = {"mail": _MAIL, "deliver": _DELIVERY}.get(step, ())
        with self.lock:
            for attribute, name in fields:
                self.counts[name] += int(getattr(report, attribute, 0) or 0)

    def cycle_done(self, report: object, seconds: float) -> None:
        """Log the line for a finished sync, then start counting afresh."""
        performed = Counter(str(getattr(p, "status", "")) for p in
                            getattr(report, "performed", ()) or ())
        with self.lock:
            counts, self.counts = self.counts, Counter()
            now = self.requests()
            requests, self.requests_before = int(now - self.requests_before), now
        fields = {**{name: counts[name] for _, name in _MAIL},
                  "actions_performed": performed["done"], "actions_skipped": performed["skipped"],
                  "actions_failed": performed["failed"], "actions_blocked": performed["blocked"],
                  "actions_superseded": performed["superseded"],
                  **{name: counts[name] for _, name in _DELIVERY},
                  "tracker_requests": requests, "seconds": round(seconds, 2)}
        # The counts travel as fields: `key=value` after the text, or keys of the JSON line.
        log.info("cycle done", extra=fields)
