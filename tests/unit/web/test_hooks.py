"""/hooks/jira and /hooks/zendesk as the tracker and strangers see them: a signed webhook is
202 and wakes the poller; anything else wakes nothing and is refused with its status, counted
in /metrics, and logged once per source address per interval."""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connector.clock import SettableClock
from connector.metrics import REGISTRY
from connector.web.hooks import HookEndpoint, HookLimits
from connector.web.server import service_app

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SECRET = "shared-webhook-secret-0123456789"
BODY = b'{"webhookEvent":"jira:issue_updated","issue":{"key":"HELP-1"}}'


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body,
                                                   hashlib.sha256).hexdigest()}


class Unreadable(io.BytesIO):
    """A request body that must not be read (the endpoint refused before reading)."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")


class World:
    """The endpoint mounted in the service's WSGI app, with a clock and a wake-up count."""

    def __init__(self, limits: HookLimits | None = None) -> None:
        self.clock = SettableClock(NOW)
        self.woken = 0
        self.endpoint = HookEndpoint(secret=SECRET, wake=self._wake, clock=self.clock,
                                     limits=limits)
        self.app = service_app(health=lambda: (True, "ok"), hooks=self.endpoint)

    def _wake(self) -> None:
        self.woken += 1

    def post(self, path: str = "/hooks/jira", body: bytes = BODY,
             headers: dict[str, str] | None = None, *, source: str = "203.0.113.7",
             method: str = "POST", length: str | None = None,
             stream: io.BytesIO | None = None) -> tuple[int, dict[str, str], str]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "REMOTE_ADDR": source,
            "wsgi.input": stream or io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)) if length is None else length}
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        seen: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
            seen["status"] = int(status.split(maxsplit=1)[0])
            seen["headers"] = dict(response_headers)

        text = b"".join(self.app(environ, start_response)).decode()
        return seen["status"], seen["headers"], text


def _count(tracker: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("ticketflow_webhooks_total",
                                      {"tracker": tracker, "outcome": outcome})
    return value or 0.0


def test_a_signed_webhook_wakes_the_poller_and_is_counted() -> None:
    """Jira's signed POST is answered 202 at once and asks for one poll; /metrics counts it."""
    world = World()
    before = _count("jira", "accepted")
    status, _, text = world.post(headers=_signed(BODY))
    assert (status, world.woken) == (202, 1)
    assert "poll" in text
    assert _count("jira", "accepted") == before + 1


@pytest.mark.parametrize(("headers", "outcome"), [
    ({}, "unsigned"),
    (_signed(BODY, secret="somebody-elses-secret-0123456789"), "bad_signature"),
    (_signed(BODY + b" "), "bad_signature"),
])
def test_unsigned_or_wrongly_signed_is_401_and_wakes_nothing(headers: dict[str, str],
                                                             outcome: str) -> None:
    """No signature, another secret's, or a signature of another body: 401, no poll, counted
    under its outcome."""
    world = World()
    before = _count("jira", outcome)
    status, _, _ = world.post(headers=headers)
    assert (status, world.woken) == (401, 0)
    assert _count("jira", outcome) == before + 1


def test_refusals_are_logged_once_per_source_per_interval(
        caplog: pytest.LogCaptureFixture) -> None:
    """Ten forged webhooks from one address make one warning naming it; another address gets
    its own line; after ten minutes the first address is logged again, saying how many went
    unlogged meanwhile. The secret never appears."""
    world = World()
    caplog.set_level(logging.WARNING, logger="connector.web.hooks")
    for _ in range(10):
        world.post(headers={"X-Hub-Signature": "sha256=00"})
    world.post(headers={}, source="198.51.100.9")
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        "webhook to /hooks/jira from 203.0.113.7 refused (bad_signature): X-Hub-Signature "
        "does not match the body (a different secret, or a changed body)",
        "webhook to /hooks/jira from 198.51.100.9 refused (unsigned): no X-Hub-Signature "
        "header (is the webhook's secret set in Jira?)"]
    world.clock.advance(timedelta(minutes=10))
    world.post(headers={"X-Hub-Signature": "sha256=00"})
    assert "(9 more from there since the last line)" in caplog.records[-1].getMessage()
    assert SECRET not in caplog.text


def test_zendesk_path_checks_zendesk_signatures() -> None:
    """/hooks/zendesk wants Zendesk's headers: a Jira-style signature there is unsigned."""
    world = World()
    status, _, _ = world.post("/hooks/zendesk", headers=_signed(BODY))
    assert (status, world.woken) == (401, 0)


def test_only_a_post_with_a_length_within_the_cap_is_read() -> None:
    """GET is 405 (with Allow), no Content-Length 411, and a body over the cap 413 without
    reading a byte of it; none of them wakes the poller."""
    world = World(HookLimits(max_body=1000))
    status, headers, _ = world.post(method="GET", headers=_signed(BODY))
    assert (status, headers.get("Allow")) == (405, "POST")
    assert world.post(length="", headers=_signed(BODY))[0] == 411
    big = b"x" * 1001
    assert world.post(body=big, headers=_signed(big), stream=Unreadable())[0] == 413
    assert world.woken == 0


def test_a_body_cut_short_fails_its_signature() -> None:
    """A delivery whose connection ends before the announced length is verified over what
    came, so its signature fails: 401, no poll."""
    world = World()
    status, _, _ = world.post(body=BODY[:20], length=str(len(BODY)), headers=_signed(BODY))
    assert (status, world.woken) == (401, 0)


def test_each_source_address_is_rate_limited_alone() -> None:
    """Past its burst, one address gets 429 with Retry-After and no verification; another
    address is unaffected; a second later the first may send one again."""
    world = World(HookLimits(burst=3, per_second=1.0))
    answers = [world.post(headers=_signed(BODY))[0] for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    status, headers, _ = world.post(headers=_signed(BODY))
    assert (status, headers["Retry-After"]) == (429, "1")
    assert world.post(headers=_signed(BODY), source="198.51.100.9")[0] == 202
    world.clock.advance(timedelta(seconds=1))
    assert world.post(headers=_signed(BODY))[0] == 202
    assert world.woken == 5


def test_other_paths_under_hooks_are_not_found() -> None:
    """Only the two trackers' paths exist."""
    assert World().post("/hooks/github", headers=_signed(BODY))[0] == 404


def test_without_the_endpoint_hooks_are_not_served() -> None:
    """With no webhook secret `run` mounts no endpoint: /hooks/jira is an ordinary 404."""
    app = service_app(health=lambda: (True, "ok"))
    seen: list[str] = []
    app({"PATH_INFO": "/hooks/jira", "REQUEST_METHOD": "POST"},
        lambda status, headers: seen.append(status))
    assert seen == ["404 Not Found"]
