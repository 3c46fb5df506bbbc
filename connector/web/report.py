"""`/report` and `/report.json` of `ticketflow run`: the report from the state file, rendered
at most once a minute per period asked for.

Requests are answered on the web server's threads, never the service loop's, and read the
state through a read-only connection (WAL readers and the service's writer never wait on
each other). One report is rendered at a time; a request for the same page meanwhile waits
for it and gets it from the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from connector.clock import Clock
from connector.config.loader import Config
from connector.errors import TicketflowError, UsageError
from connector.report.compose import parse_since, report_figures
from connector.report.export import to_json
from connector.report.figures import Link, no_link
from connector.report.page import POLICY, render
from connector.report.records import Scope
from connector.state.location import StateLocation

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
PATHS = ("/report", "/report.json")
FRESH_SECONDS = 60.0
_KEPT = 8  # distinct pages cached (periods and projects asked for), oldest dropped first
# The page shows ticket summaries and customers' comments: never cached on the way, never
# framed, never sent on as a Referer; and it may load nothing at all.
_HEADERS = [("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", POLICY + "; frame-ancestors 'none'")]
_TYPES = {"/report": "text/html; charset=utf-8", "/report.json": "application/json"}


class ReportEndpoint:
    """The WSGI app for PATHS: `?since=30d` (the default) and `?project=KEY` as on the
    command line."""

    def __init__(self, *, running: Callable[[], Config], state_db: StateLocation,
                 clock: Clock, links: Callable[[Config], Link] = lambda _config: no_link,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        # The configuration running now (a hot reload switches it), and its tickets' links.
        self.running, self.links = running, links
        self.state_db, self.clock, self.monotonic = state_db, clock, monotonic
        self.lock = threading.Lock()
        self.cache: OrderedDict[tuple[str, str, str | None, str], tuple[float, bytes]] = \
            OrderedDict()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        since = query.get("since", ["30d"])[0]
        project = query.get("project", [None])[0] or None
        config = self.running()
        try:
            parse_since(since, self.clock.now(), _zone(config))  # the asker's mistake: a 400
        except UsageError as error:
            return _plain(start_response, "400 Bad Request", str(error))
        try:
            body = self.page(config, path, since, project)
        except TicketflowError as error:  # no state yet, or one being upgraded: a 503
            log.warning("report not available: %s", error)
            return _plain(start_response, "503 Service Unavailable", str(error))
        start_response("200 OK", [("Content-Type", _TYPES[path]), *_HEADERS])
        return [body]

    def page(self, config: Config, path: str, since: str, project: str | None) -> bytes:
        """The page (HTML or JSON) under `config`, from the cache while it is fresh (a page
        of the configuration before a reload is not served after it)."""
        key = (path, since, project, config.digest)
        with self.lock:
            kept = self.cache.get(key)
            if kept is not None and self.monotonic() - kept[0] < FRESH_SECONDS:
                return kept[1]
            now = self.clock.now()
            scope = Scope(parse_since(since, now, _zone(config)), now, project)
            figures = report_figures(self.state_db, config, scope, link=self.links(config))
            body = (to_json(figures) if path.endswith(".json") else render(figures)).encode()
            self.cache[key] = (self.monotonic(), body)
            self.cache.move_to_end(key)
            while len(self.cache) > _KEPT:
                self.cache.popitem(last=False)
            return body


def _zone(config: Config) -> ZoneInfo:
    return ZoneInfo(config.rules.calendar.timezone)


def _plain(start_response: StartResponse, status: str, message: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), *_HEADERS])
    return [f"{message}\n".encode()]
