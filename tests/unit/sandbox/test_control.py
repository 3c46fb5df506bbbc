"""The control API: clock, time zone, faults (seeded), request counters, reset and seeding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from connector.clock import SettableClock
from connector.sandbox import FaultConfig, Sandbox
from connector.sandbox.faults import Faults

if TYPE_CHECKING:
    from .conftest import Api


def test_clock_can_be_read_set_advanced_and_released(api: Api) -> None:
    """POST {"now"} freezes; {"advance_seconds"} moves on; {"frozen": false} follows the base."""
    assert api.get("/_sandbox/clock").body == {"now": "2026-11-26T16:00:00.000Z", "frozen": True}
    api.post("/_sandbox/clock", {"now": "2027-01-02T03:04:05+01:00"})
    assert api.post("/_sandbox/clock", {"advance_seconds": 60}).body["now"] == \
        "2027-01-02T02:05:05.000Z"
    key = api.create()
    assert api.get(f"/rest/api/3/issue/{key}").body["fields"]["created"] == \
        "2027-01-01T20:05:05.000-0600"
    assert api.post("/_sandbox/clock", {"now": "2027-01-02T03:04:05"}).status == 400
    released = api.post("/_sandbox/clock", {"frozen": False}).body
    assert released["frozen"] is False
    assert abs(datetime.fromisoformat(released["now"]) - datetime.now(UTC)).total_seconds() < 60


def test_time_zone_changes_myself_and_jql_dates(api: Api) -> None:
    """The API user's zone is what `myself` reports and how JQL date literals are read."""
    api.create()  # updated 2026-11-26 16:00 UTC
    query = {"jql": 'updated >= "2026/11/26 17:00"', "fields": "key"}
    assert api.get("/rest/api/3/search/jql", **query).body["issues"] == []
    assert api.post("/_sandbox/timezone", {"timeZone": "Europe/Berlin"}).status == 200
    assert api.get("/rest/api/3/myself").body["timeZone"] == "Europe/Berlin"
    assert len(api.get("/rest/api/3/search/jql", **query).body["issues"]) == 1
    assert api.post("/_sandbox/timezone", {"timeZone": "Mars/Olympus"}).status == 400


def test_requests_are_counted_by_template_and_control_calls_are_not(api: Api) -> None:
    """Counts by METHOD and path template, a total, and nothing for /_sandbox/ calls."""
    key = api.create()
    api.get(f"/rest/api/3/issue/{key}")
    api.get("/rest/api/2/issue/10001")
    api.get("/rest/api/3/nowhere")
    api.get("/_sandbox/clock")
    counts = api.get("/_sandbox/requests").body
    assert counts["total"] == 4
    assert counts["by_endpoint"] == {"GET (unmatched)": 1, "GET /rest/api/2/issue/{key}": 1,
                                     "GET /rest/api/3/issue/{key}": 1,
                                     "POST /rest/api/3/issue": 1}
    assert api.post("/_sandbox/requests/reset").status == 204
    assert api.get("/_sandbox/requests").body["total"] == 0


def test_injected_429_carries_retry_after(api: Api) -> None:
    """A 429 says when to come back in seconds; faults are counted too."""
    api.post("/_sandbox/faults", {"rate_429": 1.0, "retry_after": 7})
    answer = api.get("/rest/api/3/myself")
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.body["errors"] == {}
    assert api.get("/_sandbox/requests").body["faults"] == {"429": 1}
    api.post("/_sandbox/faults", {"rate_500": 1.0})
    assert api.get("/rest/api/3/myself").status == 500
    api.post("/_sandbox/faults", {"rate_503": 1.0})  # an outage
    assert api.get("/rest/api/3/myself").status == 503
    api.post("/_sandbox/faults", {"rate_drop": 1.0})
    outcome = api.app.handle("GET", "/rest/api/3/myself", api.headers, b"")
    assert outcome.drop


def test_same_seed_same_faults() -> None:
    """Two runs with the same seed inject the same faults on the same requests."""
    runs = []
    for _ in range(2):
        faults = Faults()
        faults.configure(FaultConfig(rate_429=0.2, rate_500=0.1, rate_drop=0.05, seed=42))
        runs.append([faults.draw() for _ in range(200)])
    assert runs[0] == runs[1]
    assert {"429", "500", "drop", None} == set(runs[0])
    assert 20 < runs[0].count("429") < 60


@pytest.mark.parametrize("payload", [
    {"rate_429": 2}, {"rate_429": 0.6, "rate_500": 0.6}, {"latency_ms": -1},
    {"retry_after": 1.5}, {"surprise": 1}, [1]])
def test_bad_fault_settings_are_refused(api: Api, payload: object) -> None:
    """Rates outside 0..1, negative latency, unknown keys: 400."""
    assert api.post("/_sandbox/faults", payload).status == 400


def test_reset_restores_the_starting_state(api: Api) -> None:
    """Reset removes issues, statuses and faults and zeroes counters; the clock stays."""
    api.create()
    api.post("/rest/api/3/statuses", {"scope": {"type": "GLOBAL"}, "statuses": [
        {"name": "Pending", "statusCategory": "TODO"}]})
    api.post("/_sandbox/faults", {"rate_500": 0.5})
    api.post("/_sandbox/clock", {"now": "2030-01-01T00:00:00Z"})
    assert api.post("/_sandbox/reset").status == 204
    assert api.get("/rest/api/3/issue/HELP-1").status == 404
    assert [s["name"] for s in api.get("/rest/api/3/status").body] == ["To Do", "In Progress",
                                                                      "Done"]
    assert api.get("/_sandbox/faults").body["rate_500"] == 0
    assert api.get("/_sandbox/requests").body["total"] == 2  # the two reads just now
    assert api.get("/_sandbox/clock").body["now"].startswith("2030-01-01")
    assert api.create() == "HELP-1"


def test_seed_endpoint(api: Api) -> None:
    """POST /_sandbox/seed creates many issues at once with the given spacing and status."""
    answer = api.post("/_sandbox/seed", {"count": 3, "status": "In Progress",
                                         "start": "2026-11-01T00:00:00Z", "step_seconds": 3600})
    assert answer.body == {"created": 3, "first": "HELP-1", "last": "HELP-3"}
    issue = api.get("/rest/api/3/issue/HELP-3").body["fields"]
    assert issue["status"]["name"] == "In Progress"
    assert issue["created"] == "2026-10-31T21:00:00.000-0500"  # 02:00 UTC, before DST ended
    assert api.post("/_sandbox/seed", {"count": 1, "status": "Nope"}).status == 400


def test_python_api_mirrors_the_control_endpoints() -> None:
    """Tests can set clock, faults and read counts without HTTP."""
    sandbox = Sandbox("datacenter", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert sandbox.set_faults(rate_429=0.5, seed=3).rate_429 == 0.5
    sandbox.clear_faults()
    assert sandbox.app.faults.config == FaultConfig()
    sandbox.set_time_zone("UTC")
    assert sandbox.store.current_user.time_zone == "UTC"
    assert sandbox.request_counts() == {"total": 0, "reads": 0, "writes": 0, "by_method": {},
                                        "by_endpoint": {}, "faults": {}}
    assert sandbox.auth_headers() == {"Authorization": "Bearer sandbox-token"}
    with pytest.raises(RuntimeError):
        _ = sandbox.url
    with pytest.raises(ValueError, match="flavor"):
        Sandbox("server")


def test_a_shared_clock_drives_the_stamps(make_api: Callable[..., Api]) -> None:
    """Given the app's SettableClock, the sandbox stamps changes with that clock's time."""
    clock = SettableClock(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    api = make_api("cloud", clock=clock)
    api.sandbox.follow_base_clock()  # make_api froze it; follow the shared clock instead
    key = api.create()
    clock.advance(timedelta(hours=2))
    api.put(f"/rest/api/3/issue/{key}", {"fields": {"summary": "later"}})
    fields = api.get(f"/rest/api/3/issue/{key}").body["fields"]
    assert (fields["created"], fields["updated"]) == ("2026-11-26T10:00:00.000-0600",
                                                      "2026-11-26T12:00:00.000-0600")


def test_the_index_lists_every_control_endpoint(api: Api) -> None:
    """GET /_sandbox/ names each control endpoint with what it does; each one it lists exists."""
    index = api.get("/_sandbox/")
    assert index.status == 200 and index.body["tracker"] == "jira"
    listed = {(e["method"], e["path"]): e["does"] for e in index.body["endpoints"]}
    for wanted in [("POST", "/_sandbox/reset"), ("POST", "/_sandbox/clock"),
                   ("POST", "/_sandbox/faults"), ("GET", "/_sandbox/requests"),
                   ("POST", "/_sandbox/seed"), ("POST", "/_sandbox/projects"),
                   ("POST", "/_sandbox/webhooks"), ("GET", "/_sandbox/timezone")]:
        assert listed[wanted], wanted
    assert all(does for does in listed.values())
    for method, path in listed:
        assert api.call(method, path).status not in (404, 405), (method, path)
    assert api.get("/_sandbox").body == index.body


def test_reads_and_writes_are_counted_apart(api: Api) -> None:
    """A POST that only searches is a read; creating is a write; by_method counts methods."""
    key = api.create()
    api.post("/rest/api/3/search/jql", {"jql": "project = HELP"})
    api.get(f"/rest/api/3/issue/{key}")
    api.put(f"/rest/api/3/issue/{key}", {"fields": {"summary": "x"}})
    counts = api.get("/_sandbox/requests").body
    assert (counts["total"], counts["reads"], counts["writes"]) == (4, 2, 2)
    assert counts["by_method"] == {"GET": 1, "POST": 2, "PUT": 1}


def test_seeded_tickets_read_like_a_help_desk(api: Api) -> None:
    """Seeded issues carry a real request's summary and its customer in the customer field."""
    api.post("/_sandbox/seed", {"count": 20})
    fields = api.get("/rest/api/2/issue/HELP-1").body["fields"]
    assert fields["summary"] == "Locked out of REDCap after password reset"
    assert fields["customfield_10072"] == "pat.doe@uni.example.edu"
    assert "locked" in fields["description"]
    summaries = {api.get(f"/rest/api/2/issue/HELP-{n}").body["fields"]["summary"]
                 for n in range(1, 21)}
    assert len(summaries) == 16  # every sample once, then they come round again


def test_serve_seeds_sample_tickets_before_listening() -> None:
    """serve(seed=N) creates N tickets; the first is there as soon as the URL is printed."""
    import io
    import threading
    import time

    import requests

    from connector.sandbox import serve

    out = io.StringIO()
    thread = threading.Thread(target=serve, kwargs={"port": 0, "seed": 3, "out": out},
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while "listening on" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    url = out.getvalue().split("listening on ")[1].split()[0]
    found = requests.get(f"{url}/rest/api/2/issue/HELP-3", auth=("sandbox@example.test",
                                                                 "sandbox-token"), timeout=5)
    assert found.json()["fields"]["summary"] == "New project request for a cohort study"
    assert "Seeded 3 sample tickets." in out.getvalue()
