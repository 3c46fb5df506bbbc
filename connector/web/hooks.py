"""The webhook endpoint of `ticketflow run`: /hooks/jira and /hooks/zendesk wake the poller.

A webhook is a hint, never data: a request that proves it comes from the tracker (signed with
the shared secret) asks for a poll now, and that is all it does; nothing in its body is read.
So a lost, forged or repeated webhook changes nothing but timing, and polling stays the source
of truth. In order, a request is: rate-limited per source address (429), refused unless a
POST (405) with a length (411) of at most `MAX_BODY` (413), and verified (401 when unsigned,
wrongly signed, stale or replayed; logged once per source address per `LOG_EVERY`). Every
outcome is counted in `/metrics` (`ticketflow_webhooks_total{tracker,outcome}`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from connector import metrics
from connector.clock import Clock
from connector.web.signatures import JiraSignature, Verdict, ZendeskSignature
from connector.web.throttle import SourceLimiter, SparseLog

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
PATHS = {"/hooks/jira": "jira", "/hooks/zendesk": "zendesk"}
# Jira's issue_updated body carries the whole issue (its description, up to 20 comments): a
# few hundred KiB at worst. Beyond this a body is not read (a webhook that sends only ids, or
# Jira's "Exclude body", stays far below it).
MAX_BODY = 1024 * 1024
LOG_EVERY = timedelta(minutes=10)
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


class Verifier(Protocol):
    """Tells a tracker's signed request from anything else."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict: ...


@dataclass(frozen=True)
class HookLimits:
    """Per source address: `burst` webhooks at once, then `per_second` (Jira posts a burst
    for a bulk change; one of them is enough to wake the poller)."""

    burst: int = 60
    per_second: float = 10.0
    max_body: int = MAX_BODY
    log_every: timedelta = LOG_EVERY


class HookEndpoint:
    """The WSGI application for /hooks/: verifies, counts, and calls `wake` for a good one."""

    def __init__(self, *, secret: str, wake: Callable[[], None], clock: Clock,
                 limits: HookLimits | None = None) -> None:
        self.limits = limits or HookLimits()
        self.wake = wake
        key = secret.encode()
        self.verifiers: dict[str, Verifier] = {
            "jira": JiraSignature(key), "zendesk": ZendeskSignature(key, clock)}
        self.limiter = SourceLimiter(clock, burst=self.limits.burst,
                                     per_second=self.limits.per_second)
        self.refusals = SparseLog(log, clock, every=self.limits.log_every)

    def __call__(self, environ: dict[str, Any],
                 start_response: StartResponse) -> Iterable[bytes]:
        tracker = PATHS.get(environ.get("PATH_INFO", ""))
        if tracker is None:
            return _answer(start_response, "404 Not Found", "not found")
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", "POST only",
                           [("Allow", "POST")])
        source = str(environ.get("REMOTE_ADDR") or "unknown")
        wait = self.limiter.allow(source)
        if wait:
            self._refused(tracker, source, Verdict("rate_limited", "too many webhooks"))
            return _answer(start_response, "429 Too Many Requests", "too many webhooks",
                           [("Retry-After", str(max(int(wait + 0.999), 1)))])
        length = _length(environ)
        if length is None:
            return _answer(start_response, "411 Length Required", "Content-Length required")
        if length > self.limits.max_body:
            self._refused(tracker, source, Verdict(
                "too_large", f"a body of {length} bytes (at most {self.limits.max_body})"))
            return _answer(start_response, "413 Content Too Large", "body too large")
        headers = {k: str(v) for k, v in environ.items() if k.startswith("HTTP_")}
        verdict = self.verifiers[tracker].verify(headers, _read(environ, length))
        if not verdict.accepted:
            self._refused(tracker, source, verdict)
            return _answer(start_response, "401 Unauthorized", "signature refused")
        metrics.WEBHOOKS.labels(tracker, "accepted").inc()
        log.debug("webhook from %s to /hooks/%s: a poll follows", source, tracker)
        self.wake()
        return _answer(start_response, "202 Accepted", "accepted: a poll follows")

    def _refused(self, tracker: str, source: str, verdict: Verdict) -> None:
        metrics.WEBHOOKS.labels(tracker, verdict.outcome).inc()
        self.refusals.warning(source, "webhook to /hooks/%s from %s refused (%s): %s",
                              tracker, source, verdict.outcome, verdict.reason)


def _length(environ: Mapping[str, Any]) -> int | None:
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    return int(text) if text.isdigit() else None


def _read(environ: Mapping[str, Any], length: int) -> bytes:
    """Exactly the announced body (fewer bytes if the client stops early; the signature then
    fails). The server's socket timeout ends a client that trickles."""
    stream = environ["wsgi.input"]
    chunks, left = [], length
    while left > 0:
        try:
            chunk = stream.read(min(left, 65536))
        except OSError:  # the socket timed out or was reset: what came is all there is
            break
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _answer(start_response: StartResponse, status: str, text: str,
            headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    start_response(status, [*_TEXT, *(headers or [])])
    return [f"{text}\n".encode()]
