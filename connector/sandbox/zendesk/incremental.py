"""The change feeds: the cursor-based ticket export and the ticket events export.

As Zendesk documents them (developer.zendesk.com, "Using the Incremental Exports API" and the
Incremental Exports reference): admins only; `start_time` in epoch seconds and at least a
minute old (422 "Too recent start_time" otherwise); items changed within the minute before the
request are left out until a later request; at most 10 requests a minute to these endpoints
(429 APIRateLimitExceeded with `Retry-After` beyond), counted here on the sandbox clock. The
ticket export pages by an opaque cursor (`after_cursor`, kept as the bookmark even on the last
page, `end_of_stream` when caught up) and orders by `generated_timestamp`, which every change
moves, so a ticket comes again after each change; the events export is time-based
(`end_time`, `next_page` with `start_time=end_time`, so events of that second come twice).
"""

from __future__ import annotations

import base64
import binascii
import math
from bisect import bisect_left, bisect_right
from collections import deque
from typing import TYPE_CHECKING

from connector.sandbox.clock import SandboxClock
from connector.sandbox.control import json_object
from connector.sandbox.routing import Reply, Request, Route
from connector.sandbox.zendesk.errors import ZendeskError, bad_value, forbidden
from connector.sandbox.zendesk.model import Audit
from connector.sandbox.zendesk.render import Json, Renderer, html_body, stamp
from connector.sandbox.zendesk.routes_people import sideload_users
from connector.sandbox.zendesk.routes_tickets import people_of

if TYPE_CHECKING:
    from connector.sandbox.zendesk.app import ZendeskApp

PER_MINUTE = 10
LAG_S = 60  # what changed within the last minute is left out
PAGE = 1000  # items a page, as Zendesk's default and maximum
_END = 2**62


class IncrementalLimit:
    """A sliding minute of incremental requests on the sandbox clock; `per_minute=None` lifts
    the limit (benchmarks)."""

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self.per_minute: int | None = PER_MINUTE
        self._seen: deque[float] = deque()

    def reset(self) -> None:
        self.per_minute = PER_MINUTE
        self._seen.clear()

    def check(self) -> None:
        now = self.clock.now().timestamp()
        while self._seen and self._seen[0] <= now - 60:
            self._seen.popleft()
        if self.per_minute is not None and len(self._seen) >= self.per_minute:
            wait = max(1, math.ceil(self._seen[0] + 60 - now))
            raise ZendeskError(429, "APIRateLimitExceeded", "Number of allowed incremental "
                               "export API requests per minute exceeded",
                               headers={"Retry-After": str(wait)})
        self._seen.append(now)


def _admit(app: ZendeskApp, req: Request) -> int:
    """Admins only, within the rate limit; returns the newest second that may be shown."""
    if app.store.current_user.role != "admin":
        raise forbidden()
    app.incremental.check()
    return app.store.now() - LAG_S


def _start_time(req: Request, cutoff: int) -> int:
    raw = req.arg("start_time")
    if raw is None or not raw.lstrip("-").isdigit():
        raise bad_value("start_time is required, in seconds since the epoch")
    start = int(raw)
    if start > cutoff:
        raise ZendeskError(422, "InvalidValue",
                           "Too recent start_time. Use a start_time older than 1 minute")
    return start


def _encode(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}|{position[1]}".encode()).decode()


def _decode(cursor: str) -> tuple[int, int]:
    try:
        stamp_s, _, ticket = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return int(stamp_s), int(ticket)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_value("The cursor is not valid") from None


def ticket_export(app: ZendeskApp, req: Request) -> Reply:
    """Tickets changed since `start_time` (or after `cursor`), oldest change first."""
    cutoff = _admit(app, req)
    cursor = req.arg("cursor")
    after = _decode(cursor) if cursor else (_start_time(req, cutoff), -1)
    size = min(req.int_arg("per_page", PAGE), PAGE) or PAGE
    index = app.store.generated_index
    first = bisect_right(index, after)
    last = bisect_right(index, (cutoff, _END))
    page = index[first:min(first + size, last)]
    end = first + len(page) >= last
    position = page[-1] if page else after
    if end:
        position = max(position, (cutoff, _END))  # everything up to the cutoff was seen
    token = _encode(position)
    r = Renderer(app.base_url)
    tickets = [app.store.tickets[i] for _, i in page]
    return Reply(body=sideload_users(app, req, {
        "tickets": [r.ticket(t) for t in tickets],
        "after_cursor": token,
        "after_url": f"{r.api}/incremental/tickets/cursor.json?cursor={token}",
        "before_cursor": None, "before_url": None, "end_of_stream": end}, people_of(tickets)))


def ticket_events(app: ZendeskApp, req: Request) -> Reply:
    """Every audit since `start_time`, with its changes as `child_events`; comments too with
    `include=comment_events` (else only `comment_present`/`comment_public`)."""
    cutoff = _admit(app, req)
    start = _start_time(req, cutoff)
    with_comments = "comment_events" in (req.arg("include") or "").split(",")
    index = app.store.audit_index
    first = bisect_left(index, (start, -1))
    last = bisect_right(index, (cutoff, _END))
    stop = min(first + PAGE, last)
    if stop < last:  # never split a second across pages: the next page starts there
        stop = bisect_right(index, (index[stop - 1][0], _END), hi=last)
    page = [app.store.audits[audit_id] for _, audit_id in index[first:stop]]
    end_time = page[-1].created if page else start
    r = Renderer(app.base_url)
    return Reply(body={
        "ticket_events": [_event(app, a, with_comments) for a in page],
        "next_page": f"{r.api}/incremental/ticket_events.json?start_time={end_time}",
        "count": len(page), "end_time": end_time, "end_of_stream": stop >= last})


def _event(app: ZendeskApp, audit: Audit, with_comments: bool) -> Json:
    children: list[Json] = []
    for event in audit.events:
        if event["type"] == "Comment":
            if with_comments:
                children.append({**event, "via": audit.via, "via_reference_id": None,
                                 "html_body": html_body(event["body"]),
                                 "created_at": stamp(audit.created), "event_type": "Comment"})
            else:
                children.append({"id": event["id"], "via": audit.via, "via_reference_id": None,
                                 "comment_present": True, "comment_public": event["public"],
                                 "event_type": "Comment"})
            continue
        children.append({**event, "via": audit.via, "via_reference_id": None,
                         "event_type": event["type"]})
    return {"id": audit.id, "ticket_id": audit.ticket_id, "timestamp": audit.created,
            "created_at": stamp(audit.created), "updater_id": audit.author_id,
            "via": audit.via, "system": {}, "event_type": "Audit", "merged_ticket_ids": [],
            "child_events": children}


def limits(app: ZendeskApp, req: Request) -> Reply:
    """{"incremental_per_minute": N or null}: relax the 10-a-minute limit (benchmarks)."""
    payload = json_object(req)
    if "incremental_per_minute" in payload:
        value = payload["incremental_per_minute"]
        if value is not None and (not isinstance(value, int) or value < 1):
            raise bad_value("incremental_per_minute must be a positive whole number or null")
        app.incremental.per_minute = value
    return Reply(body={"incremental_per_minute": app.incremental.per_minute})


ROUTES = [
    Route("GET", "/api/v2/incremental/tickets/cursor", ticket_export),
    Route("GET", "/api/v2/incremental/ticket_events", ticket_events),
]
CONTROL_ROUTES = [Route("POST", "/_sandbox/limits", limits)]
