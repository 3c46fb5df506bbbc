"""Changelog and `updated`: every change is stamped from the sandbox clock, as Jira records it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .conftest import Api

ISSUE = "/rest/api/3/issue"


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


def history(api: Api, key: str) -> list[dict[str, Any]]:
    """All histories, oldest first, from /issue/{key}/changelog."""
    return list(api.get(f"{ISSUE}/{key}/changelog").body["values"])


def test_every_change_writes_one_history_stamped_by_the_clock(api: Api) -> None:
    """Edits, assignment and transitions each add a history; ids rise; times follow the clock."""
    api.post("/rest/api/3/component", {"name": "Access", "project": "HELP"})
    key = api.create()
    assert history(api, key) == []  # creating writes no history, as in Jira
    steps = [
        lambda: api.put(f"{ISSUE}/{key}", {"fields": {"summary": "Locked out",
                                                      "customfield_10071": 2}}),
        lambda: api.put(f"{ISSUE}/{key}", {"update": {
            "labels": [{"add": "vip"}], "components": [{"add": {"name": "Access"}}]}}),
        lambda: api.put(f"{ISSUE}/{key}/assignee", {"accountId": _account(api, "carol")}),
        lambda: api.post(f"{ISSUE}/{key}/transitions", {"transition": {"id": "31"}}),
    ]
    for minute, step in enumerate(steps, start=1):
        api.sandbox.advance_clock(timedelta(minutes=1))
        assert step().status == 204
        issue = api.get(f"{ISSUE}/{key}", fields="updated").body
        assert issue["fields"]["updated"] == f"2026-11-26T10:0{minute}:00.000-0600"
    logs = history(api, key)
    assert [h["created"][11:16] for h in logs] == ["10:01", "10:02", "10:03", "10:04"]
    assert [int(h["id"]) for h in logs] == sorted(int(h["id"]) for h in logs)
    items = [[(i["field"], i["fromString"], i["toString"]) for i in h["items"]] for h in logs]
    assert items == [
        [("summary", "Help", "Locked out"), ("Tier", None, "2")],
        [("labels", None, "vip"), ("Component", None, "Access")],
        [("assignee", None, "Carol")],
        [("status", "To Do", "Done"), ("resolution", None, "Done")],
    ]
    status = logs[3]["items"][0]
    assert (status["from"], status["to"], status["fieldId"]) == ("10001", "10003", "status")
    assert logs[2]["items"][0]["to"] == _account(api, "carol")


def _account(api: Api, name: str) -> str:
    return str(api.get("/rest/api/3/user/search", query=name).body[0]["accountId"])


def test_comments_bump_updated_without_history_and_properties_do_neither(api: Api) -> None:
    """A comment moves `updated` but writes no changelog; an issue property changes nothing."""
    key = api.create()
    api.sandbox.advance_clock(timedelta(minutes=5))
    api.post(f"{ISSUE}/{key}/comment", {"body": adf("On it")})
    assert api.get(f"{ISSUE}/{key}").body["fields"]["updated"].startswith("2026-11-26T10:05")
    api.sandbox.advance_clock(timedelta(minutes=5))
    assert api.put(f"{ISSUE}/{key}/properties/mail", {"id": "<m@x>"}).status == 201
    assert api.get(f"{ISSUE}/{key}").body["fields"]["updated"].startswith("2026-11-26T10:05")
    assert history(api, key) == []


def test_unchanged_values_write_nothing(api: Api) -> None:
    """Setting a field to its current value neither logs a change item nor adds a history."""
    key = api.create(summary="Same")
    api.put(f"{ISSUE}/{key}", {"fields": {"summary": "Same"}})
    assert history(api, key) == []


def test_issue_changelog_pages_oldest_first(api: Api) -> None:
    """/issue/{key}/changelog: startAt/maxResults/total/isLast/nextPage, oldest first."""
    key = api.create()
    for n in range(5):
        api.put(f"{ISSUE}/{key}", {"fields": {"summary": f"v{n}"}})
    page = api.get(f"{ISSUE}/{key}/changelog", startAt=1, maxResults=2).body
    assert (page["startAt"], page["maxResults"], page["total"], page["isLast"]) == (1, 2, 5, False)
    assert [h["items"][0]["toString"] for h in page["values"]] == ["v1", "v2"]
    assert page["nextPage"].endswith("startAt=3")
    last = api.get(f"{ISSUE}/{key}/changelog", startAt=4).body
    assert last["isLast"] is True and "nextPage" not in last


def test_bulkfetch_orders_by_time_then_issue_and_pages(api: Api) -> None:
    """Histories of several issues, by created then issue id, oldest first, token paging."""
    first, second = api.create(), api.create()
    api.put(f"{ISSUE}/{second}", {"fields": {"summary": "b1"}})
    api.put(f"{ISSUE}/{first}", {"fields": {"summary": "a1"}})  # same instant as b1
    api.sandbox.advance_clock(timedelta(seconds=1))
    api.put(f"{ISSUE}/{second}", {"fields": {"summary": "b2"}})
    api.post(f"{ISSUE}/{first}/transitions", {"transition": {"id": "21"}})
    body = {"issueIdsOrKeys": [second, first], "maxResults": 3}
    page = api.post("/rest/api/3/changelog/bulkfetch", body).body
    assert [(g["issueId"], [h["items"][0]["toString"] for h in g["changeHistories"]])
            for g in page["issueChangeLogs"]] == [
        ("10001", ["a1"]), ("10002", ["b1"]), ("10001", ["In Progress"])]
    rest = api.post("/rest/api/3/changelog/bulkfetch",
                    {**body, "nextPageToken": page["nextPageToken"]}).body
    assert [g["issueId"] for g in rest["issueChangeLogs"]] == ["10002"]
    assert "nextPageToken" not in rest
    only_status = api.post("/rest/api/3/changelog/bulkfetch", {
        "issueIdsOrKeys": [first, second], "fieldIds": ["status"]}).body
    assert [g["issueId"] for g in only_status["issueChangeLogs"]] == ["10001"]


def test_bulkfetch_limits(api: Api) -> None:
    """More than 1000 issues, more than 10 fields, or another request's token: 400."""
    key = api.create()
    too_many = api.post("/rest/api/3/changelog/bulkfetch",
                        {"issueIdsOrKeys": [f"HELP-{n}" for n in range(1001)]})
    assert too_many.status == 400
    fields = api.post("/rest/api/3/changelog/bulkfetch",
                      {"issueIdsOrKeys": [key], "fieldIds": [str(n) for n in range(11)]})
    assert fields.status == 400
    api.put(f"{ISSUE}/{key}", {"fields": {"summary": "x"}})
    api.put(f"{ISSUE}/{key}", {"fields": {"summary": "y"}})
    token = api.post("/rest/api/3/changelog/bulkfetch",
                     {"issueIdsOrKeys": [key], "maxResults": 1}).body["nextPageToken"]
    other = api.post("/rest/api/3/changelog/bulkfetch",
                     {"issueIdsOrKeys": [key, "HELP-9"], "nextPageToken": token})
    assert other.status == 400


def test_embedded_changelog_caps_and_order(api: Api, dc_api: Api) -> None:
    """Cloud search embeds the 40 newest histories (newest first); DC embeds all, oldest first."""
    key = api.create()
    for n in range(45):
        api.put(f"{ISSUE}/{key}", {"fields": {"summary": f"v{n}"}})
    found = api.get("/rest/api/3/search/jql", jql=f"key = {key}", fields="summary",
                    expand="changelog").body["issues"][0]["changelog"]
    assert (found["total"], len(found["histories"])) == (45, 40)
    assert found["histories"][0]["items"][0]["toString"] == "v44"
    single = api.get(f"{ISSUE}/{key}", expand="changelog").body["changelog"]
    assert len(single["histories"]) == 45
    assert single["histories"][0]["items"][0]["toString"] == "v44"
    dc_key = dc_api.create(version="2")
    for n in range(3):
        dc_api.put(f"/rest/api/2/issue/{dc_key}", {"fields": {"summary": f"d{n}"}})
    dc = dc_api.get(f"/rest/api/2/issue/{dc_key}", expand="changelog").body["changelog"]
    assert [h["items"][0]["toString"] for h in dc["histories"]] == ["d0", "d1", "d2"]
    assert dc["histories"][0]["items"][0]["fieldId"] == "summary"
