"""The sandbox's request pipeline: count, inject faults, authenticate, route, answer."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from connector.sandbox import bootstrap
from connector.sandbox.errors import ApiError
from connector.sandbox.faults import Faults, RequestCounter
from connector.sandbox.model import Flavor
from connector.sandbox.routing import Match, Reply, Request, Route, Router
from connector.sandbox.search import Searcher
from connector.sandbox.store import Store
from connector.sandbox.timeutil import SandboxClock, zone

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox/"
_UNAUTHENTICATED = "Client must be authenticated to access this resource."
_ANONYMOUS_OK = ("/serverInfo",)  # Jira answers serverInfo without credentials


@dataclass(slots=True)
class Outcome:
    """What the HTTP layer writes; `drop` means close the socket without answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop: bool = False


class App:
    """Everything a route can reach: the store, search, clock, faults, counters, notifications."""

    def __init__(self, *, flavor: Flavor, clock: SandboxClock, user_emails: Sequence[str],
                 time_zone: str, routes: Sequence[Route]) -> None:
        zone(time_zone)  # fail early on an unknown zone
        self.flavor: Flavor = flavor
        self.clock = clock
        self.user_emails = list(user_emails)
        self.time_zone = time_zone
        self.base_url = ""
        self.store = Store(flavor=flavor, clock=clock)
        self.searcher = Searcher(self.store)
        self.faults = Faults()
        self.counter = RequestCounter()
        self.router = Router(routes, flavor)
        self.reset_data()

    def reset_data(self) -> None:
        with self.store.lock:
            self.store.clear()
            bootstrap.populate(self.store, user_emails=self.user_emails,
                               time_zone=self.time_zone)
            self.searcher.clear()

    def set_time_zone(self, name: str) -> None:
        """The API user's time zone: what `myself` says and how JQL date literals are read."""
        zone(name)
        with self.store.lock:
            self.time_zone = name
            for user in self.store.users.values():
                user.time_zone = name

    # -- the pipeline -----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> Outcome:
        """Answer one request; never raises (a bug becomes a 500 with the reason)."""
        split = urlsplit(target)
        request = Request(method, split.path, parse_qs(split.query, keep_blank_values=True),
                          headers, body)
        try:
            if split.path.startswith(CONTROL_PREFIX):
                return self._dispatch(request)  # control endpoints: no auth, faults or counts
            return self._serve(request)
        except ApiError as error:
            return _json_outcome(error.status, error.body(), error.headers)
        except Exception as exc:  # a sandbox bug must not kill the connection thread
            log.exception("sandbox failed on %s %s", method, target)
            return _json_outcome(500, {"errorMessages": [f"Sandbox error: {exc!r}"],
                                       "errors": {}})

    def _serve(self, request: Request) -> Outcome:
        """Count, then maybe a fault, then credentials, then the route (or its 404/405)."""
        match: Match | None = None
        try:
            match = self.router.match(request.method, request.path)
        except ApiError as error:
            unmatched = error
        self.counter.count(request.method, match.template if match else "(unmatched)")
        fault = self.faults.draw()
        if self.faults.config.latency_ms:
            time.sleep(self.faults.config.latency_ms / 1000)  # outside the store lock
        if fault is not None:
            self.counter.count_fault(fault)
            return self._fault(fault)
        actor = None
        if not request.path.endswith(_ANONYMOUS_OK) or "authorization" in {
                k.lower() for k in request.headers}:
            actor = self._authenticate(request.headers)
        if match is None:
            raise unmatched
        return self._dispatch(request, match, actor)

    def _dispatch(self, request: Request, match: Match | None = None,
                  actor: str | None = None) -> Outcome:
        match = match or self.router.match(request.method, request.path)
        request.params = match.params
        request.version = match.version
        with self.store.lock:
            # The authenticated user acts for this request: changes, comments and `myself`
            # are theirs, so an engineer's change is not mistaken for ticketflow's own.
            api_user, self.store.me = self.store.me, actor or self.store.me
            try:
                reply = match.route.handler(self, request)
            finally:
                self.store.me = api_user
        return _reply_outcome(reply)

    def _fault(self, kind: str) -> Outcome:
        if kind == "drop":
            return Outcome(drop=True)
        if kind == "429":
            retry = self.faults.config.retry_after
            headers = {"Retry-After": str(retry), "X-RateLimit-Limit": "100",
                       "X-RateLimit-Remaining": "0", "RateLimit-Reason": "jira-burst-based"}
            return _json_outcome(429, {"errorMessages": ["Rate limit exceeded."],
                                       "errors": {}}, headers)
        return _json_outcome(500, {"errorMessages": ["Internal server error"], "errors": {}})

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        """The acting user's account id, or a 401.

        Cloud: basic auth with a user's e-mail and the token `sandbox-token` (the API user is
        `sandbox@example.test`). Data Center: a bearer PAT, `sandbox-token` for the API user
        and `sandbox-token-<name>` for any other user (`sandbox-token-alice` for alice@...).
        """
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, credential = auth.partition(" ")
        users = {user.email: user for user in self.store.users.values() if user.active}
        if self.flavor == "cloud" and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            email, _, token = decoded.partition(":")
            if token == bootstrap.API_TOKEN and email in users:
                return users[email].account_id
        if self.flavor == "datacenter" and scheme.lower() == "bearer":
            token = credential.strip()
            for email, user in users.items():
                personal = (bootstrap.API_TOKEN if email == bootstrap.API_USER
                            else f"{bootstrap.API_TOKEN}-{email.partition('@')[0]}")
                if token == personal:
                    return user.account_id
        raise ApiError(401, [_UNAUTHENTICATED])


def _json_outcome(status: int, body: object,
                  headers: Mapping[str, str] | None = None) -> Outcome:
    data = json.dumps(body, separators=(",", ":")).encode()
    return Outcome(status, {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
                   data)


def _reply_outcome(reply: Reply) -> Outcome:
    if reply.raw is not None:
        return Outcome(reply.status, {"Content-Type": reply.content_type, **reply.headers},
                       reply.raw)
    if reply.status == 204 or (reply.body is None and reply.status in (201, 303)):
        return Outcome(reply.status, dict(reply.headers))
    return _json_outcome(reply.status, reply.body, reply.headers)
