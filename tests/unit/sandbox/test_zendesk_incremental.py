"""Zendesk's change feeds: the cursor ticket export and the ticket events export."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .conftest import Api

EXPORT = "/api/v2/incremental/tickets/cursor.json"
EVENTS = "/api/v2/incremental/ticket_events.json"


def epoch(zd: Api, delta: timedelta = timedelta(0)) -> int:
    return int((zd.sandbox.now() + delta).timestamp())


def new_ticket(zd: Api, body: str = "Help") -> int:
    answer = zd.post("/api/v2/tickets.json", {"ticket": {"comment": {"body": body}}})
    return int(answer.body["ticket"]["id"])


def relax(zd: Api) -> None:
    assert zd.post("/_sandbox/limits", {"incremental_per_minute": None}).status == 200


def test_changes_of_the_last_minute_wait_for_a_later_request(zd: Api) -> None:
    """A ticket changed now is left out; a minute later it is there; the cursor of the last
    page, kept as a bookmark, brings only what changed after it."""
    relax(zd)
    start = epoch(zd, -timedelta(hours=1))
    ticket = new_ticket(zd)
    early = zd.get(EXPORT, start_time=start).body
    assert (early["tickets"], early["end_of_stream"]) == ([], True)
    zd.sandbox.advance_clock(timedelta(seconds=61))
    page = zd.get(EXPORT, start_time=start).body
    assert [t["id"] for t in page["tickets"]] == [ticket] and page["end_of_stream"]
    bookmark = page["after_cursor"]
    assert zd.get(EXPORT, cursor=bookmark).body["tickets"] == []
    zd.put(f"/api/v2/tickets/{ticket}.json", {"ticket": {"status": "open"}})
    other = new_ticket(zd)
    zd.sandbox.advance_clock(timedelta(seconds=61))
    again = zd.get(EXPORT, cursor=bookmark).body
    assert [t["id"] for t in again["tickets"]] == [ticket, other]
    assert again["tickets"][0]["status"] == "open"


def test_pages_follow_the_cursor(zd: Api) -> None:
    """With per_page 2, five tickets come in three pages; only the last ends the stream."""
    relax(zd)
    zd.post("/_sandbox/seed", {"count": 5})
    zd.sandbox.advance_clock(timedelta(minutes=2))
    seen: list[int] = []
    page = zd.get(EXPORT, start_time=0, per_page=2).body
    ends = []
    while True:
        seen += [t["id"] for t in page["tickets"]]
        ends.append(page["end_of_stream"])
        if page["end_of_stream"]:
            break
        page = zd.get(EXPORT, cursor=page["after_cursor"], per_page=2).body
    assert seen == [1, 2, 3, 4, 5] and ends == [False, False, True]


def test_ten_requests_a_minute(zd: Api) -> None:
    """The eleventh incremental request within a minute is a 429 with Retry-After; a minute
    later (sandbox clock) it works again; other endpoints are not limited."""
    start = epoch(zd, -timedelta(hours=1))
    for _ in range(10):
        assert zd.get(EXPORT, start_time=start).status == 200
    limited = zd.get(EVENTS, start_time=start)
    assert limited.status == 429
    assert limited.body == {"error": "APIRateLimitExceeded", "description":
                            "Number of allowed incremental export API requests per minute "
                            "exceeded"}
    assert limited.headers["Retry-After"] == "60"
    assert zd.get("/api/v2/users/me.json").status == 200
    zd.sandbox.advance_clock(timedelta(seconds=60))
    assert zd.get(EXPORT, start_time=start).status == 200


def test_start_time_rules_and_admins_only(zd: Api) -> None:
    """start_time is required and at least a minute old (422 otherwise); agents get 403."""
    assert zd.get(EXPORT).status == 400
    recent = zd.get(EXPORT, start_time=epoch(zd, -timedelta(seconds=30)))
    assert recent.status == 422 and recent.body["error"] == "InvalidValue"
    assert zd.get(EXPORT, cursor="not-a-cursor").status == 400
    pair = base64.b64encode(b"bob@example.edu/token:sandbox-token").decode()
    zd.headers = {"Authorization": f"Basic {pair}"}
    assert zd.get(EXPORT, start_time=0).status == 403


def test_ticket_events_carry_changes_and_comments(zd: Api) -> None:
    """Each audit is an event with child_events: Create and Change with previous values;
    comments as flags, or whole with include=comment_events."""
    relax(zd)
    start = epoch(zd, -timedelta(hours=1))
    ticket = new_ticket(zd, "First words")
    zd.put(f"/api/v2/tickets/{ticket}.json", {"ticket": {
        "status": "pending", "comment": {"body": "Note", "public": False}}})
    zd.sandbox.advance_clock(timedelta(minutes=2))
    body = zd.get(EVENTS, start_time=start).body
    assert body["count"] == 2 and body["end_of_stream"] is True
    created, changed = body["ticket_events"]
    assert created["ticket_id"] == ticket and created["event_type"] == "Audit"
    kinds = {(c["event_type"], c.get("field_name")) for c in created["child_events"]}
    assert ("Create", "status") in kinds and ("Comment", None) in kinds
    status = next(c for c in changed["child_events"] if c.get("field_name") == "status")
    assert (status["previous_value"], status["value"]) == ("new", "pending")
    note = next(c for c in changed["child_events"] if c["event_type"] == "Comment")
    assert note == {"id": note["id"], "via": note["via"], "via_reference_id": None,
                    "comment_present": True, "comment_public": False, "event_type": "Comment"}
    full = zd.get(EVENTS, start_time=start, include="comment_events").body
    bodies = [c["body"] for e in full["ticket_events"] for c in e["child_events"]
              if c["event_type"] == "Comment"]
    assert bodies == ["First words", "Note"]


def test_ticket_events_page_by_time(zd: Api) -> None:
    """A full page ends at a second: next_page starts there (so that second comes twice)."""
    relax(zd)
    zd.post("/_sandbox/seed", {"count": 700})  # 700 audits this second
    zd.sandbox.advance_clock(timedelta(seconds=1))
    zd.post("/_sandbox/seed", {"count": 700})  # and 700 the next
    zd.sandbox.advance_clock(timedelta(minutes=2))
    first = zd.get(EVENTS, start_time=0).body
    assert first["count"] == 1400 and first["end_of_stream"]  # a second is never split
    stamps: list[Any] = sorted({e["timestamp"] for e in first["ticket_events"]})
    second = zd.get(EVENTS, start_time=stamps[1]).body
    assert second["count"] == 700 and second["end_time"] == stamps[1]
