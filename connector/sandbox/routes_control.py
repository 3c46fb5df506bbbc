"""The `/_sandbox/` control endpoints: reset, clock, faults, counters, notifications, seeding.

They need no credentials, suffer no injected faults and are not counted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from connector.sandbox.errors import bad_request
from connector.sandbox.faults import FaultConfig
from connector.sandbox.routing import Reply, Request, Route
from connector.sandbox.seed import seed_issues
from connector.sandbox.timeutil import iso, parse_iso

if TYPE_CHECKING:
    from connector.sandbox.application import App


def _object(req: Request) -> dict[str, Any]:
    payload = req.json()
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise bad_request("Send a JSON object.")
    return payload


def reset(app: App, req: Request) -> Reply:
    """Back to the starting data; faults, counters and notifications cleared; clock kept."""
    app.reset_data()
    app.faults.configure(FaultConfig())
    app.counter.reset()
    return Reply(204)


def clock_get(app: App, req: Request) -> Reply:
    return Reply(body={"now": iso(app.clock.now()), "frozen": app.clock.frozen})


def clock_set(app: App, req: Request) -> Reply:
    """`{"now": ISO-8601}` freezes time there; `{"advance_seconds": N}` moves it on;
    `{"frozen": false}` follows the wall clock (or the clock given to the constructor) again."""
    payload = _object(req)
    try:
        if payload.get("now") is not None:
            app.clock.set(parse_iso(str(payload["now"])))
        if payload.get("advance_seconds") is not None:
            app.clock.advance(timedelta(seconds=float(payload["advance_seconds"])))
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Bad clock setting: {exc}") from None
    if payload.get("frozen") is False:
        app.clock.follow_base()
    return clock_get(app, req)


def faults_get(app: App, req: Request) -> Reply:
    return Reply(body=app.faults.config.to_json())


def faults_set(app: App, req: Request) -> Reply:
    app.faults.configure(FaultConfig.from_json(req.json()))
    return faults_get(app, req)


def requests_get(app: App, req: Request) -> Reply:
    return Reply(body=app.counter.snapshot())


def requests_reset(app: App, req: Request) -> Reply:
    app.counter.reset()
    return Reply(204)


def notifications(app: App, req: Request) -> Reply:
    return Reply(body={"notifications": list(app.store.notifications)})


def notifications_clear(app: App, req: Request) -> Reply:
    app.store.notifications.clear()
    return Reply(204)


def time_zone_get(app: App, req: Request) -> Reply:
    return Reply(body={"timeZone": app.time_zone})


def time_zone_set(app: App, req: Request) -> Reply:
    name = _object(req).get("timeZone")
    try:
        app.set_time_zone(str(name))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return time_zone_get(app, req)


def seed(app: App, req: Request) -> Reply:
    """`{"count": N, "status": "To Do", "start": ISO-8601, "step_seconds": 60}`."""
    payload = _object(req)
    try:
        count = int(payload.get("count", 0))
        start = parse_iso(str(payload["start"])) if payload.get("start") else None
        step = timedelta(seconds=float(payload.get("step_seconds", 60)))
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Bad seed request: {exc}") from None
    keys = seed_issues(app.store, count, project=str(payload.get("project", "HELP")),
                       status=payload.get("status"), start=start, step=step)
    return Reply(body={"created": len(keys), "first": keys[0] if keys else None,
                       "last": keys[-1] if keys else None})


ROUTES = [
    Route("POST", "/_sandbox/reset", reset),
    Route("GET", "/_sandbox/clock", clock_get),
    Route("POST", "/_sandbox/clock", clock_set),
    Route("GET", "/_sandbox/faults", faults_get),
    Route("POST", "/_sandbox/faults", faults_set),
    Route("GET", "/_sandbox/requests", requests_get),
    Route("POST", "/_sandbox/requests/reset", requests_reset),
    Route("GET", "/_sandbox/notifications", notifications),
    Route("DELETE", "/_sandbox/notifications", notifications_clear),
    Route("GET", "/_sandbox/timezone", time_zone_get),
    Route("POST", "/_sandbox/timezone", time_zone_set),
    Route("POST", "/_sandbox/seed", seed),
]
