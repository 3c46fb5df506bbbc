"""A Jira answer of the wrong shape is a transient MalformedAnswerError, never a crash.

An HTML page served with 200 (a proxy's login or maintenance page), a body missing a key, or
a list where Jira sends an object: each must reach the caller as a RetriableError subclass,
so mail intake leaves the mail for the next pass instead of quarantining it, and the poller
tries again instead of ending the cycle with an AttributeError.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import responses

from connector.errors import MalformedAnswerError, RetriableError
from connector.tracker.jira.client import JiraClient
from connector.tracker.jira.records import Flavor

Url = Callable[[Flavor, str], str]
Make = Callable[..., JiraClient]
Load = Callable[[str], Any]
HTML = "<html><body><h1>Please log in</h1><form action='/sso'></form></body></html>"
SINCE = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def _html(mocked: responses.RequestsMock, method: str, target: str) -> None:
    mocked.add(method, target, body=HTML, status=200, content_type="text/html")


def test_an_html_page_with_200_is_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url
) -> None:
    """`GET issue` answered by a proxy's login page: a transient error that names the
    request and says what came back, not the AttributeError of `.get` on a str."""
    _html(mocked, "GET", url("cloud", "issue/HELP-1"))
    with pytest.raises(MalformedAnswerError) as caught:
        make_tracker("cloud").get_issue("HELP-1")
    assert isinstance(caught.value, RetriableError)
    assert "GET /rest/api/3/issue/HELP-1" in str(caught.value)
    assert "text/html, not JSON" in str(caught.value)


def _issue_without(load: Load, *path: str) -> dict[str, Any]:
    raw = load("issue_cloud.json")
    target = raw
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return raw


@pytest.mark.parametrize("missing", [("key",), ("id",), ("fields", "created")])
def test_an_issue_missing_a_key_is_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url, load: Load,
    missing: tuple[str, ...],
) -> None:
    """An issue without its key, id or creation time cannot be read: transient, not KeyError."""
    mocked.get(url("cloud", "issue/HELP-1"), json=_issue_without(load, *missing))
    with pytest.raises(MalformedAnswerError, match="issue: Jira's answer does not have"):
        make_tracker("cloud").get_issue("HELP-1")


def test_an_unreadable_time_is_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url, load: Load
) -> None:
    """`created: "yesterday"` is not a time: transient, not ValueError."""
    raw = load("issue_cloud.json")
    raw["fields"]["created"] = "yesterday"
    mocked.get(url("cloud", "issue/HELP-1"), json=raw)
    with pytest.raises(MalformedAnswerError, match="ValueError"):
        make_tracker("cloud").get_issue("HELP-1")


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_list_where_a_search_page_belongs_is_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url, flavor: Flavor
) -> None:
    """A search answered with a JSON array (or an array of strings as its issues)."""
    path = "search/jql" if flavor == "cloud" else "search"
    mocked.post(url(flavor, path), json=[{"issues": []}])
    with pytest.raises(MalformedAnswerError, match="search page: expected a JSON object"):
        list(make_tracker(flavor).search_changed("HELP", since=SINCE))
    mocked.replace(responses.POST, url(flavor, path), json={"issues": ["HELP-1"], "total": 1})
    with pytest.raises(MalformedAnswerError, match="search result: expected a JSON object"):
        list(make_tracker(flavor).search_changed("HELP", since=SINCE))


def test_comments_answered_as_a_list_are_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url
) -> None:
    """`GET issue/KEY/comment` answered with an array of comments instead of a page."""
    mocked.get(url("cloud", "issue/HELP-1/comment"),
               json=[{"id": "1", "created": "2026-11-26T16:00:00.000+0000", "body": "x"}])
    with pytest.raises(MalformedAnswerError, match="comments of HELP-1"):
        make_tracker("cloud").comments("HELP-1")


def test_a_create_answered_without_a_key_is_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url
) -> None:
    """The create's answer names no key: transient, so mail intake looks for the issue by
    its label next time rather than giving up on the mail."""
    mocked.post(url("cloud", "issue"), json={"id": "10001"}, status=201)
    with pytest.raises(MalformedAnswerError, match="created issue"):
        make_tracker("cloud").create_issue("HELP", issue_type="Service Request",
                                           summary="s", description="d")


def test_a_bulk_changelog_entry_without_its_issue_id_is_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url
) -> None:
    """The poller's changelog fetch: an entry that does not say whose history it is."""
    mocked.post(url("cloud", "changelog/bulkfetch"),
                json={"issueChangeLogs": [{"changeHistories": []}]})
    with pytest.raises(MalformedAnswerError, match="changelog bulk fetch"):
        make_tracker("cloud").changelogs(["10001"])


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_count_without_its_number_is_a_malformed_answer(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url, flavor: Flavor
) -> None:
    """The census's count answered without `count` (Cloud) or `total` (Data Center)."""
    path = "search/approximate-count" if flavor == "cloud" else "search"
    mocked.post(url(flavor, path), json={"issues": []})
    with pytest.raises(MalformedAnswerError, match="count"):
        make_tracker(flavor).count("HELP", done_statuses=["Done"])
