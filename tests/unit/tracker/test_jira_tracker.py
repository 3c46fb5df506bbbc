"""JiraClient's requests and parsing, per flavor, against `responses`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from pydantic import SecretStr
from responses import matchers

from connector.errors import ConfigError, TrackerError
from connector.http.retry import Retrier
from connector.settings import Settings
from connector.tracker.jira.client import JiraClient, connect
from connector.tracker.jira.records import User
from connector.tracker.values import Attachment

Url = Callable[[str, str], str]
Load = Callable[[str], Any]
Make = Callable[..., JiraClient]
BASE = "https://jira.example.test"


def _body(call: Any) -> Any:
    return json.loads(call.request.body or b"null")


def _search_issue(load: Load, number: int) -> dict[str, Any]:
    raw = load("issue_cloud.json")
    return {**raw, "id": str(10000 + number), "key": f"HELP-{number}"}


def test_cloud_search_follows_next_page_token_with_an_explicit_field_list(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """Enhanced search: epoch-millisecond bound, ORDER BY updated, key; token paging; no '*all'."""
    target = url("cloud", "search/jql")
    mocked.post(
        target,
        json={
            "issues": [_search_issue(load, 1), _search_issue(load, 2)],
            "nextPageToken": "t2",
            "isLast": False,
        },
    )
    mocked.post(target, json={"issues": [_search_issue(load, 3)], "isLast": True})
    mocked.post(url("cloud", "changelog/bulkfetch"), json={"issueChangeLogs": []})
    tracker = make_tracker("cloud", custom_fields=("customfield_10071",))
    since = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    pages = list(tracker.search_changed("HELP", since=since, page_size=2))
    assert [[i.key for i in page] for page in pages] == [["HELP-1", "HELP-2"], ["HELP-3"]]
    first, second = _body(mocked.calls[0]), _body(mocked.calls[1])
    # The changelogs of all three came with the search, in one bulk request after it.
    assert _body(mocked.calls[2])["issueIdsOrKeys"] == ["10001", "10002", "10003"]
    assert tracker.changelogs(["10001", "10003"]) == {"10001": [], "10003": []}
    assert len(mocked.calls) == 3
    assert first["jql"] == (
        'project = "HELP" AND updated >= 1795708800000 ORDER BY updated ASC, key ASC'
    )
    assert first["maxResults"] == 2
    assert "nextPageToken" not in first
    assert second["nextPageToken"] == "t2"
    assert "*all" not in first["fields"]
    assert {"summary", "status", "updated", "customfield_10071"} <= set(first["fields"])
    assert pages[0][0].custom_fields == {"customfield_10071": 2.0}


def test_datacenter_search_pages_by_start_at_until_total(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """Data Center: POST /rest/api/2/search with startAt, stopping when `total` is reached."""
    target = url("datacenter", "search")
    raw = load("issue_datacenter.json")
    mocked.post(
        target,
        json={
            "startAt": 0,
            "maxResults": 2,
            "total": 3,
            "issues": [raw, {**raw, "id": "10002", "key": "HELP-2"}],
        },
    )
    mocked.post(
        target,
        json={
            "startAt": 2,
            "maxResults": 2,
            "total": 3,
            "issues": [{**raw, "id": "10003", "key": "HELP-3"}],
        },
    )
    tracker = make_tracker("datacenter")
    pages = list(tracker.search_open("HELP", done_statuses=["Done"], page_size=2))
    assert [len(p) for p in pages] == [2, 1]
    assert [_body(c)["startAt"] for c in mocked.calls] == [0, 2]
    assert _body(mocked.calls[0])["jql"] == (
        'project = "HELP" AND status != "Done" ORDER BY created ASC, key ASC'
    )


def test_issue_parsing_cloud_adf_and_datacenter_wiki(load: Load) -> None:
    """ADF descriptions (v3) and escaped wiki (v2) both read back as the plain text written."""
    from connector.tracker.jira.convert import to_issue

    cloud = to_issue(load("issue_cloud.json"), custom_fields=["customfield_10072"])
    assert cloud.description == "I cannot log in.\nSince Monday.\n\n@Alice Example please help"
    assert cloud.assignee == User(
        "Alice Example", account_id="712020:aaaa", email="alice@example.edu"
    )
    assert cloud.status_category == "To Do"
    assert cloud.created == datetime(2026, 11, 26, 16, 15, 30, 123000, tzinfo=UTC)
    assert cloud.labels == ("vip", "cat-access")
    assert cloud.components == ("Access",)
    dc = to_issue(load("issue_datacenter.json"))
    assert dc.description == "I cannot log in! [~bob] is away."
    assert dc.assignee is not None
    assert dc.assignee.ref == "alice@example.edu"


def test_cloud_changelogs_in_one_bulk_request_per_thousand_issues(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """1500 issue ids: two bulkfetch calls (1000 + 500); histories grouped, oldest first."""
    target = url("cloud", "changelog/bulkfetch")
    mocked.post(target, json=load("bulkfetch_page.json"))
    mocked.post(target, json={"issueChangeLogs": []})
    ids = ["10001", "10002", *[str(20000 + n) for n in range(1498)]]
    found = make_tracker("cloud").changelogs(ids)
    assert [len(_body(c)["issueIdsOrKeys"]) for c in mocked.calls] == [1000, 500]
    assert [c.id for c in found["10001"]] == ["20001", "20003"]
    status = found["10001"][0].items[0]
    assert (status.field, status.from_string, status.to_string) == (
        "status",
        "Pending",
        "Reviewing",
    )
    assert [c.id for c in found["10002"]] == ["20002"]
    assert found["20000"] == []


def test_bulkfetch_follows_its_next_page_token(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """A chunk whose histories span pages is read to the end."""
    page = load("bulkfetch_page.json")
    first = {"issueChangeLogs": page["issueChangeLogs"][:1], "nextPageToken": "p2"}
    second = {"issueChangeLogs": page["issueChangeLogs"][1:]}
    target = url("cloud", "changelog/bulkfetch")
    mocked.post(target, json=first)
    mocked.post(
        target,
        json=second,
        match=[matchers.json_params_matcher({"nextPageToken": "p2"}, strict_match=False)],
    )
    found = make_tracker("cloud").changelogs(["10001", "10002"])
    assert len(found["10001"]) == 2 and len(found["10002"]) == 1


def test_without_bulkfetch_changelogs_are_paged_per_issue(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """bulkfetch answering 404 switches to /issue/{id}/changelog paging, remembered."""
    mocked.post(
        url("cloud", "changelog/bulkfetch"), status=404, json={"errorMessages": ["null for uri"]}
    )
    histories = load("bulkfetch_page.json")["issueChangeLogs"][0]["changeHistories"]
    target = url("cloud", "issue/10001/changelog")
    mocked.get(
        target,
        json={"startAt": 0, "maxResults": 1, "total": 2, "isLast": False, "values": histories[:1]},
    )
    mocked.get(
        target,
        json={"startAt": 1, "maxResults": 1, "total": 2, "isLast": True, "values": histories[1:]},
    )
    tracker = make_tracker("cloud")
    assert [c.id for c in tracker.changelogs(["10001"])["10001"]] == ["20001", "20003"]
    tracker.changelogs(["10001"])
    bulk_calls = [c for c in mocked.calls if "bulkfetch" in str(c.request.url)]
    assert len(bulk_calls) == 1


def test_read_ahead_batches_ids_across_pages() -> None:
    """Pages of 300: fetches of exactly 1000 ids; each page is yielded once it is covered."""
    from connector.tracker.jira.paging import read_ahead

    fetched: list[int] = []
    events: list[str] = []
    pages = ([str(p * 300 + i) for i in range(300)] for p in range(8))  # 2400 ids

    def fetch(ids: list[str]) -> None:
        fetched.append(len(ids))
        events.append(f"fetch {len(ids)}")

    for page in read_ahead(pages, key=str, fetch=fetch, batch=1000):
        events.append(f"page {page[0]}")
    assert fetched == [1000, 1000, 400]
    assert events[:5] == ["fetch 1000", "page 0", "page 300", "page 600", "fetch 1000"]


def test_datacenter_search_embeds_the_changelogs(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """DC search asks for expand=changelog; complete histories need no further request."""
    histories = load("bulkfetch_page.json")["issueChangeLogs"][0]["changeHistories"]
    raw = {
        **load("issue_datacenter.json"),
        "changelog": {"startAt": 0, "maxResults": 2, "total": 2, "histories": histories},
    }
    mocked.post(
        url("datacenter", "search"),
        json={"startAt": 0, "maxResults": 50, "total": 1, "issues": [raw]},
    )
    tracker = make_tracker("datacenter")
    page = next(iter(tracker.search_changed("HELP", since=datetime(2026, 1, 1, tzinfo=UTC))))
    assert _body(mocked.calls[0])["expand"] == ["changelog"]
    assert [c.id for c in tracker.changelogs([page[0].id])[page[0].id]] == ["20001", "20003"]
    assert len(mocked.calls) == 1


def test_datacenter_changelogs_come_from_expand(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """Data Center: GET issue?expand=changelog, sorted oldest first whatever the order given."""
    histories = load("bulkfetch_page.json")["issueChangeLogs"][0]["changeHistories"]
    mocked.get(
        url("datacenter", "issue/10001"),
        json={
            "id": "10001",
            "key": "HELP-1",
            "changelog": {
                "startAt": 0,
                "maxResults": 2,
                "total": 2,
                "histories": list(reversed(histories)),
            },
        },
    )
    found = make_tracker("datacenter").changelogs(["10001"])
    assert [c.id for c in found["10001"]] == ["20001", "20003"]
    assert "expand=changelog" in (mocked.calls[0].request.url or "")


def test_transition_by_target_status_name(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """One GET (status + transitions), then POST the id of the transition that leads there."""
    mocked.get(url("cloud", "issue/HELP-1"), json=load("transitions_pending.json"))
    mocked.post(url("cloud", "issue/HELP-1/transitions"), status=204)
    tracker = make_tracker("cloud")
    tracker.transition_to("HELP-1", "Reviewing")
    assert _body(mocked.calls[1]) == {"transition": {"id": 11}, "fields": {}}


def test_a_known_status_uses_the_cached_transition(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """Once learnt, (project, status) -> transition is reused: a second issue costs one POST."""
    mocked.get(url("cloud", "issue/HELP-1"), json=load("transitions_pending.json"))
    mocked.post(url("cloud", "issue/HELP-1/transitions"), status=204)
    mocked.post(url("cloud", "issue/HELP-2/transitions"), status=204)
    tracker = make_tracker("cloud")
    tracker.transition_to("HELP-1", "Reviewing")
    tracker.transition_to("HELP-2", "Reviewing", from_status="Pending")
    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "POST"]


def test_a_stale_cached_transition_falls_back_to_asking(
    mocked: responses.RequestsMock, make_tracker: Make, load: Load, url: Url
) -> None:
    """The caller's idea of the status was stale: Jira's 400 drops the cache entry, then asks."""
    mocked.get(url("cloud", "issue/HELP-1"), json=load("transitions_pending.json"))
    mocked.post(url("cloud", "issue/HELP-1/transitions"), status=204)
    mocked.post(
        url("cloud", "issue/HELP-2/transitions"),
        status=400,
        json={"errorMessages": ["Transition id '11' is not valid for this issue."]},
    )
    mocked.get(url("cloud", "issue/HELP-2"), json=load("transitions_pending.json"))
    mocked.post(url("cloud", "issue/HELP-2/transitions"), status=204)
    tracker = make_tracker("cloud")
    tracker.transition_to("HELP-1", "Reviewing")
    tracker.transition_to("HELP-2", "Reviewing", from_status="Pending")
    assert [c.request.method for c in mocked.calls] == ["GET", "POST", "POST", "GET", "POST"]


def test_issue_properties_are_sent_with_the_create(
    mocked: responses.RequestsMock, make_tracker: Make, load: Load, url: Url
) -> None:
    """Properties travel in the create request itself, so an issue never exists without them."""
    mocked.post(url("cloud", "issue"), status=201, json={"id": "10001", "key": "HELP-1"})
    key = make_tracker("cloud").create_issue(
        "HELP",
        issue_type="Service Request",
        summary="s",
        description="d",
        properties={"ticketflow": {"mail": "<m@x>"}},
    )
    assert key == "HELP-1" and len(mocked.calls) == 1  # the key is all it reads back
    sent = _body(mocked.calls[0])
    assert sent["properties"] == [{"key": "ticketflow", "value": {"mail": "<m@x>"}}]
    assert sent["fields"]["description"] == {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "d"}]}],
    }


def test_a_missing_transition_names_issue_status_and_what_is_possible(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """No transition to the target: a TrackerError that says where the issue is and can go."""
    mocked.get(url("cloud", "issue/HELP-1"), json=load("transitions_pending.json"))
    with pytest.raises(TrackerError) as caught:
        make_tracker("cloud").transition_to("HELP-1", "Done")
    assert str(caught.value) == (
        'HELP-1 is in "Pending"; no transition leads to "Done". '
        'Available: "Start review" -> Reviewing'
    )


def test_comments_cloud_adf_internal_and_datacenter_escaped_wiki(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    load: Load,
    url: Url,
) -> None:
    """Cloud sends ADF and JSM's internal marker; Data Center sends wiki with markup escaped."""
    mocked.post(url("cloud", "issue/HELP-1/comment"), status=201, json=load("comment_cloud.json"))
    comment = make_tracker("cloud").add_comment("HELP-1", "Looking into it.", internal=True)
    sent = _body(mocked.calls[0])
    assert sent["body"]["type"] == "doc"
    assert sent["properties"] == [{"key": "sd.public.comment", "value": {"internal": True}}]
    assert (comment.body, comment.internal) == ("Looking into it.", True)

    dc_comment = {**load("comment_cloud.json"), "body": "hi \\[\\~admin\\]", "properties": []}
    del dc_comment["jsdPublic"]
    mocked.post(url("datacenter", "issue/HELP-1/comment"), status=201, json=dc_comment)
    back = make_tracker("datacenter").add_comment("HELP-1", "hi [~admin]", internal=False)
    assert _body(mocked.calls[1]) == {"body": "hi \\[\\~admin\\]"}
    assert (back.body, back.internal) == ("hi [~admin]", False)


def test_assign_and_notify_name_users_per_flavor(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    url: Url,
) -> None:
    """Cloud addresses users by accountId, Data Center by name."""
    alice = User("Alice", account_id="712020:aaaa")
    bob = User("Bob", name="bob")
    for flavor, user, key in (("cloud", alice, "accountId"), ("datacenter", bob, "name")):
        mocked.put(url(flavor, "issue/HELP-1/assignee"), status=204)
        mocked.post(url(flavor, "issue/HELP-1/notify"), status=204)
        tracker = make_tracker(flavor)
        tracker.assign("HELP-1", user)
        tracker.assign("HELP-1", None)
        tracker.notify("HELP-1", subject="Assigned", text_body="t", html_body=None, users=[user])
        sent = [_body(c) for c in mocked.calls[-3:]]
        assert sent[0] == {key: user.ref}
        assert sent[1] == {key: None}
        assert sent[2] == {
            "subject": "Assigned",
            "textBody": "t",
            "to": {"users": [{key: user.ref}]},
        }


def test_attach_uploads_multipart_with_the_xsrf_header(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    url: Url,
) -> None:
    """Attachments go through the library's multipart upload with X-Atlassian-Token."""
    mocked.post(
        url("cloud", "issue/HELP-1/attachments"),
        json=[{"id": "1", "filename": "mail.eml", "size": 5}],
    )
    make_tracker("cloud").attach("HELP-1", Attachment("mail.eml", b"hello", "message/rfc822"))
    request = mocked.calls[0].request
    assert request.headers["X-Atlassian-Token"] == "no-check"
    read = getattr(request.body, "read", None)  # the library streams a MultipartEncoder
    sent = read() if callable(read) else request.body
    assert isinstance(sent, bytes) and b'filename="mail.eml"' in sent


def test_get_property_is_none_when_absent(
    mocked: responses.RequestsMock,
    make_tracker: Make,
    url: Url,
) -> None:
    """A 404 for an issue property means 'not set', not an error."""
    mocked.get(
        url("cloud", "issue/HELP-1/properties/ticketflow"),
        status=404,
        json={"errorMessages": ["The property with key 'ticketflow' does not exist."]},
    )
    mocked.get(
        url("cloud", "issue/HELP-1/properties/other"), json={"key": "other", "value": {"a": 1}}
    )
    tracker = make_tracker("cloud")
    assert tracker.get_property("HELP-1", "ticketflow") is None
    assert tracker.get_property("HELP-1", "other") == {"a": 1}


@pytest.mark.parametrize(("deployment", "flavor"), [("Cloud", "cloud"), ("Server", "datacenter")])
def test_flavor_and_auth_follow_server_info(
    deployment: str,
    flavor: str,
    *,
    mocked: responses.RequestsMock,
    retrier: Retrier,
    load: Load,
    url: Url,
) -> None:
    """`auto` reads deploymentType anonymously; Cloud then uses basic auth, DC a bearer PAT."""
    mocked.get(
        f"{BASE}/rest/api/2/serverInfo",
        json={"deploymentType": deployment, "versionNumbers": [10, 3, 5]},
    )
    mocked.get(url(flavor, "issue/HELP-1"), json=load("issue_cloud.json"))
    settings = Settings(
        jira_url=BASE,
        jira_email="bot@example.test",
        jira_token=SecretStr("tok"),
        jira_flavor="auto",
    )
    tracker = connect(settings, retrier=retrier)
    tracker.get_issue("HELP-1")
    assert tracker.flavor == flavor
    assert "Authorization" not in mocked.calls[0].request.headers
    auth = mocked.calls[1].request.headers["Authorization"]
    basic = "Basic " + base64.b64encode(b"bot@example.test:tok").decode()
    assert auth == (basic if flavor == "cloud" else "Bearer tok")


def test_missing_settings_are_config_errors_before_any_request(retrier: Retrier) -> None:
    """No URL or token: ConfigError naming the variables; Cloud without an e-mail too."""
    with pytest.raises(ConfigError) as caught:
        connect(Settings(jira_url=None, jira_token=None, jira_flavor="cloud"), retrier=retrier)
    assert [p.split(":")[1].strip() for p in caught.value.problems] == [
        "TICKETFLOW_JIRA_URL",
        "TICKETFLOW_JIRA_TOKEN",
    ]
    with pytest.raises(ConfigError, match="TICKETFLOW_JIRA_EMAIL"):
        connect(
            Settings(
                jira_url=BASE, jira_email=None, jira_token=SecretStr("t"), jira_flavor="cloud"
            ),
            retrier=retrier,
        )


def test_read_ahead_fetches_nothing_for_items_that_need_nothing() -> None:
    """Items whose key is None (the mirror holds them as they are) are never fetched and do
    not hold their page back; a page of only such items costs no fetch at all."""
    from connector.tracker.jira.paging import read_ahead

    fetched: list[list[str]] = []
    pages = [["a", "-b", "c"], ["-d", "-e"]]
    out = list(read_ahead(pages, key=lambda i: None if i.startswith("-") else i,
                          fetch=fetched.append, batch=1000))
    assert out == pages
    assert fetched == [["a", "c"]]


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_people_are_found_by_the_assignable_user_search_of_the_project(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url, flavor: str
) -> None:
    """A role's person is looked up with the project's assignable-user search (Cloud by
    `query`, Data Center by `username`); only an exact match counts, not a near miss."""
    who = "query" if flavor == "cloud" else "username"
    bob = {"accountId": "acc-bob"} if flavor == "cloud" else {"name": "bob"}
    mocked.get(url(flavor, "user/assignable/search"),
               match=[matchers.query_param_matcher({who: "bob@example.edu", "project": "HELP"})],
               json=[{**bob, "emailAddress": "bob@example.edu", "displayName": "Bob"}])
    mocked.get(url(flavor, "user/assignable/search"),
               match=[matchers.query_param_matcher({who: "bo@example.edu", "project": "HELP"})],
               json=[{**bob, "emailAddress": "bob@example.edu", "displayName": "Bob"}])
    tracker = make_tracker(flavor)
    found = tracker.find_user("bob@example.edu", assignable_in="HELP")
    assert found is not None
    assert found.ref == ("acc-bob" if flavor == "cloud" else "bob")
    assert tracker.find_user("bo@example.edu", assignable_in="HELP") is None
    assert all("user/assignable/search" in str(c.request.url) for c in mocked.calls)


def test_without_an_assignable_user_search_the_plain_search_is_asked(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url
) -> None:
    """A Jira that answers 404 for the assignable-user search is asked the plain one."""
    mocked.get(url("cloud", "user/assignable/search"), status=404,
               json={"errorMessages": ["Not found"]})
    mocked.get(url("cloud", "user/search"),
               json=[{"accountId": "acc-bob", "emailAddress": "bob@example.edu"}])
    found = make_tracker("cloud").find_user("bob@example.edu", assignable_in="HELP")
    assert found is not None
    assert found.ref == "acc-bob"
