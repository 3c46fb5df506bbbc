"""The `/_sandbox/` control endpoints every tracker sandbox has: index, reset, clock, faults,
request counters, seeding and the webhook delivery log.

They need no credentials, suffer no injected faults and are not counted. The first line of each
handler's docstring is what `GET /_sandbox/` says the endpoint does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from connector.sandbox.clock import iso, parse_iso
from connector.sandbox.errors import ClientError
from connector.sandbox.faults import FaultConfig
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.application import App


def json_object(req: Request) -> dict[str, Any]:
    """The request's JSON object (empty when there is no body); a 400 for anything else."""
    payload = req.json()
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ClientError("Send a JSON object.")
    return payload


def index(app: App, req: Request) -> Reply:
    """This list: every control endpoint and what it does."""
    endpoints = [{"method": route.method, "path": path, "does": route.summary}
                 for path, route in app.control.routes()]
    return Reply(body={"tracker": app.tracker, "endpoints": endpoints})


def reset(app: App, req: Request) -> Reply:
    """Back to the starting data; faults, counters and the webhook log cleared; clock kept."""
    app.reset()
    return Reply(204)


def clock_get(app: App, req: Request) -> Reply:
    """The sandbox's now, and whether it stands still."""
    return Reply(body={"now": iso(app.clock.now()), "frozen": app.clock.frozen})


def clock_set(app: App, req: Request) -> Reply:
    """{"now": ISO-8601} freezes time there; {"advance_seconds": N}; {"frozen": false}."""
    payload = json_object(req)
    try:
        if payload.get("now") is not None:
            app.clock.set(parse_iso(str(payload["now"])))
        if payload.get("advance_seconds") is not None:
            app.clock.advance(timedelta(seconds=float(payload["advance_seconds"])))
    except (TypeError, ValueError) as exc:
        raise ClientError(f"Bad clock setting: {exc}") from None
    if payload.get("frozen") is False:
        app.clock.follow_base()
    return clock_get(app, req)


def faults_get(app: App, req: Request) -> Reply:
    """The injected faults now in force."""
    return Reply(body=app.faults.config.to_json())


def faults_set(app: App, req: Request) -> Reply:
    """{"rate_429", "rate_500", "rate_503", "rate_drop", "latency_ms", "retry_after",
    "seed"}; {} clears."""
    app.faults.configure(FaultConfig.from_json(req.json()))
    return faults_get(app, req)


def requests_get(app: App, req: Request) -> Reply:
    """Requests served: total, reads and writes, by method and by endpoint, faults injected."""
    return Reply(body=app.counter.snapshot())


def requests_reset(app: App, req: Request) -> Reply:
    """Zero the request counters."""
    app.counter.reset()
    return Reply(204)


def seed(app: App, req: Request) -> Reply:
    """{"count": N}: create N sample tickets such as a help desk receives."""
    return Reply(body=app.seed(json_object(req)))


def webhook_log(app: App, req: Request) -> Reply:
    """Webhook deliveries: URL, event, body, headers, status (waits for queued ones, 5 s)."""
    app.webhooks.wait_idle(5.0)
    return Reply(body={"deliveries": [d.to_json() for d in app.webhooks.log()]})


ROUTES = [
    Route("GET", "/_sandbox/", index),
    Route("POST", "/_sandbox/reset", reset),
    Route("GET", "/_sandbox/clock", clock_get),
    Route("POST", "/_sandbox/clock", clock_set),
    Route("GET", "/_sandbox/faults", faults_get),
    Route("POST", "/_sandbox/faults", faults_set),
    Route("GET", "/_sandbox/requests", requests_get),
    Route("POST", "/_sandbox/requests/reset", requests_reset),
    Route("POST", "/_sandbox/seed", seed),
    Route("GET", "/_sandbox/webhooks/deliveries", webhook_log),
]
