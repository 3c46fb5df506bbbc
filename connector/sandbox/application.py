"""The request pipeline every tracker sandbox shares: count, inject faults, authenticate, route.

A tracker (Jira, Zendesk) subclasses `App`: it brings its routes, its store and lock, its
credentials and the words its errors are written in; the clock, faults, counters, control
endpoints and webhook sender are the same for all.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from connector.sandbox.clock import SandboxClock
from connector.sandbox.errors import ClientError, HttpError, NoRouteError
from connector.sandbox.faults import FaultConfig, Faults, RequestCounter
from connector.sandbox.routing import Match, Reply, Request, Route, Router
from connector.sandbox.webhooks import WebhookSender

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox"


@dataclass(slots=True)
class Outcome:
    """What the HTTP layer writes; `drop` means close the socket without answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop: bool = False


class App:
    """The shared part of a tracker sandbox; subclasses fill in the hooks below."""

    tracker: ClassVar[str] = ""
    server_name: ClassVar[str] = "Sandbox/1.0"

    def __init__(self, *, clock: SandboxClock, routes: Sequence[Route],
                 control_routes: Sequence[Route], flavor: str = "",
                 versions: tuple[str, ...] = (), suffix: str = "") -> None:
        self.clock = clock
        self.base_url = ""
        self.faults = Faults()
        self.counter = RequestCounter()
        self.webhooks = WebhookSender()
        self.router = Router(routes, flavor=flavor, versions=versions, suffix=suffix)
        self.control = Router(control_routes)

    # -- what each tracker provides -----------------------------------------------------------

    def reset_data(self) -> None:
        """Back to the starting data (the store's contents only)."""
        raise NotImplementedError

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """`POST /_sandbox/seed`: create sample tickets; answers what was created."""
        raise NotImplementedError

    def error(self, status: int, message: str,
              headers: Mapping[str, str] | None = None) -> HttpError:
        """An error in the tracker's own words and JSON shape."""
        raise NotImplementedError

    def rate_limited(self, retry_after: int) -> HttpError:
        """The tracker's 429, with the headers it sends."""
        raise NotImplementedError

    def authenticate(self, request: Request) -> str | None:
        """The acting user's id, None where the tracker answers anonymous callers; or a 401."""
        raise NotImplementedError

    @contextmanager
    def acting(self, actor: str | None) -> Iterator[None]:
        """Hold the store's lock while `actor` (None: the API user) acts for one request."""
        raise NotImplementedError
        yield  # pragma: no cover - makes this a generator for @contextmanager

    def auth_headers(self) -> dict[str, str]:
        """An Authorization header for the API user."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Starting data again; faults, counters and webhook log cleared; the clock kept."""
        self.reset_data()
        self.faults.configure(FaultConfig())
        self.counter.reset()
        self.webhooks.clear_log()

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> Outcome:
        """Answer one request; never raises (a bug becomes a 500 with the reason)."""
        split = urlsplit(target)
        request = Request(method, split.path, parse_qs(split.query, keep_blank_values=True),
                          headers, body)
        try:
            try:
                if split.path == CONTROL_PREFIX or split.path.startswith(CONTROL_PREFIX + "/"):
                    # Control endpoints: no credentials, no faults, not counted.
                    return self._dispatch(request, self.control.match(method, split.path))
                return self._serve(request)
            except ClientError as error:
                raise self.error(400, str(error)) from None
            except NoRouteError as missing:
                raise self.error(missing.status, missing.message) from None
        except HttpError as error:
            return json_outcome(error.status, error.body(), error.headers)
        except Exception as exc:  # a sandbox bug must not kill the connection thread
            log.exception("sandbox failed on %s %s", method, target)
            return json_outcome(500, self.error(500, f"Sandbox error: {exc!r}").body())

    def _serve(self, request: Request) -> Outcome:
        """Count, then maybe a fault, then credentials, then the route (or its 404/405)."""
        match: Match | None = None
        unmatched: NoRouteError | None = None
        try:
            match = self.router.match(request.method, request.path)
        except NoRouteError as missing:
            unmatched = missing
        template = match.template if match else "(unmatched)"
        read = match.route.is_read if match else request.method in ("GET", "HEAD")
        self.counter.count(request.method, template, read=read)
        fault = self.faults.draw()
        if self.faults.config.latency_ms:
            time.sleep(self.faults.config.latency_ms / 1000)  # outside the store lock
        if fault is not None:
            self.counter.count_fault(fault)
            return self._fault(fault)
        actor = self.authenticate(request)
        if match is None:
            assert unmatched is not None
            raise unmatched
        return self._dispatch(request, match, actor)

    def _dispatch(self, request: Request, match: Match, actor: str | None = None) -> Outcome:
        request.params = match.params
        request.version = match.version
        with self.acting(actor):
            reply = match.route.handler(self, request)
        return reply_outcome(reply)

    def _fault(self, kind: str) -> Outcome:
        if kind == "drop":
            return Outcome(drop=True)
        error = (self.rate_limited(self.faults.config.retry_after) if kind == "429"
                 else self.error(503, "Service unavailable") if kind == "503"
                 else self.error(500, "Internal server error"))
        return json_outcome(error.status, error.body(), error.headers)


def json_outcome(status: int, body: object,
                 headers: Mapping[str, str] | None = None) -> Outcome:
    data = json.dumps(body, separators=(",", ":")).encode()
    return Outcome(status, {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
                   data)


def reply_outcome(reply: Reply) -> Outcome:
    if reply.raw is not None:
        return Outcome(reply.status, {"Content-Type": reply.content_type, **reply.headers},
                       reply.raw)
    if reply.status == 204 or (reply.body is None and reply.status in (201, 303)):
        return Outcome(reply.status, dict(reply.headers))
    return json_outcome(reply.status, reply.body, reply.headers)
