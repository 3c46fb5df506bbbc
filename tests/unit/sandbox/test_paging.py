"""Search paging: Cloud's tokens and page caps, Data Center's offsets and totals, and caching."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import Api

JQL = "project = HELP ORDER BY key ASC"
REMOVED = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
           "API. A full migration guideline is available at https://developer.atlassian.com/"
           "changelog/#CHANGE-2046")


def pages(api: Api, **params: object) -> list[dict[str, object]]:
    """Every page of a Cloud enhanced search, following nextPageToken."""
    found = []
    token = None
    while True:
        extra = {"nextPageToken": token} if token else {}
        answer = api.get("/rest/api/3/search/jql", jql=JQL, **params, **extra)
        assert answer.status == 200, answer.body
        found.append(answer.body)
        token = answer.body.get("nextPageToken")
        if token is None:
            return found


def test_enhanced_search_defaults_to_ids_and_fifty(api: Api) -> None:
    """No `fields` means only ids; no `maxResults` means 50 a page; no total anywhere."""
    api.sandbox.seed_issues(120)
    first = api.get("/rest/api/3/search/jql", jql=JQL).body
    assert len(first["issues"]) == 50
    assert first["issues"][0] == {"id": "10001"}
    assert first["isLast"] is False
    assert "total" not in first and "startAt" not in first


def test_last_page_omits_the_token(api: Api) -> None:
    """Paging visits every issue once; the last page says isLast and carries no token."""
    api.sandbox.seed_issues(120)
    found = pages(api, maxResults=50, fields="key")
    assert [len(p["issues"]) for p in found] == [50, 50, 20]  # type: ignore[arg-type]
    assert found[-1]["isLast"] is True and "nextPageToken" not in found[-1]
    keys = [i["key"] for p in found for i in p["issues"]]  # type: ignore[attr-defined]
    assert keys == [f"HELP-{n}" for n in range(1, 121)]


@pytest.mark.parametrize(("fields", "asked", "served"), [
    ("summary,status", 1000, 100), ("*all", 500, 100), ("key", 6000, 5000),
    ("id", 5000, 5000), (None, 5000, 5000)])
def test_page_caps(api: Api, fields: str | None, asked: int, served: int) -> None:
    """5000 a page when only id/key are wanted, else 100 (documented in connector.sandbox)."""
    api.sandbox.seed_issues(5200)
    params = {"maxResults": asked, **({"fields": fields} if fields else {})}
    answer = api.get("/rest/api/3/search/jql", jql=JQL, **params)
    assert len(answer.body["issues"]) == served


def test_paging_twenty_thousand_results_evaluates_the_query_once(api: Api) -> None:
    """The sorted result is cached under the token, so deep paging is linear, not quadratic."""
    api.sandbox.seed_issues(20_000)
    before = api.app.searcher.evaluations
    found = pages(api, maxResults=5000, fields="key")
    assert sum(len(p["issues"]) for p in found) == 20_000  # type: ignore[arg-type]
    found = pages(api, maxResults=100, fields="summary")
    assert len(found) == 200
    assert api.app.searcher.evaluations - before == 1


def test_pages_stay_on_their_snapshot_while_issues_change(api: Api) -> None:
    """An issue created between pages does not shift the pages already being read."""
    api.sandbox.seed_issues(10)
    first = api.get("/rest/api/3/search/jql", jql=JQL, maxResults=5, fields="key").body
    api.create("new one")
    second = api.get("/rest/api/3/search/jql", jql=JQL, maxResults=5, fields="key",
                     nextPageToken=first["nextPageToken"]).body
    assert [i["key"] for i in second["issues"]] == [f"HELP-{n}" for n in range(6, 11)]


def test_evicted_snapshot_is_evaluated_again(api: Api) -> None:
    """A token whose cached result was dropped still continues at its offset."""
    api.sandbox.seed_issues(10)
    first = api.get("/rest/api/3/search/jql", jql=JQL, maxResults=4, fields="key").body
    for n in range(1, 40):
        api.get("/rest/api/3/search/jql", jql=f"key = HELP-{n % 10 + 1}")
    second = api.get("/rest/api/3/search/jql", jql=JQL, maxResults=4, fields="key",
                     nextPageToken=first["nextPageToken"]).body
    assert [i["key"] for i in second["issues"]] == ["HELP-5", "HELP-6", "HELP-7", "HELP-8"]


def test_bad_tokens_and_unbounded_queries_are_400(api: Api) -> None:
    """A token from another query, a garbled token, or JQL without a restriction: 400."""
    api.sandbox.seed_issues(10)
    token = api.get("/rest/api/3/search/jql", jql=JQL, maxResults=2).body["nextPageToken"]
    other = api.get("/rest/api/3/search/jql", jql="key = HELP-1", nextPageToken=token)
    assert other.status == 400
    assert api.get("/rest/api/3/search/jql", jql=JQL, nextPageToken="zzz").status == 400
    unbounded = api.get("/rest/api/3/search/jql", jql="ORDER BY key DESC")
    assert unbounded.status == 400
    assert unbounded.body == {"errorMessages": [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your "
        "query."], "errors": {}}
    assert api.get("/rest/api/3/search/jql").status == 400


def test_post_search_takes_lists_and_v2_path(api: Api) -> None:
    """POST /search/jql reads its body (fields as a list); /rest/api/2/search/jql works too."""
    api.create("Printer on fire", labels=["urgent"])
    answer = api.post("/rest/api/2/search/jql", {
        "jql": "project = HELP", "fields": ["summary", "labels"], "maxResults": 10,
        "expand": "names", "reconcileIssues": [], "properties": None})
    assert answer.status == 200
    issue = answer.body["issues"][0]
    assert issue["fields"] == {"summary": "Printer on fire", "labels": ["urgent"]}
    assert answer.body["names"] == {"labels": "Labels", "summary": "Summary"}


@pytest.mark.parametrize("path", ["/rest/api/2/search", "/rest/api/3/search",
                                  "/rest/api/latest/search"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_removed_cloud_search_answers_410(api: Api, path: str, method: str) -> None:
    """Cloud's old search is gone: 410 with exactly Cloud's body."""
    answer = api.call(method, path, {"jql": JQL} if method == "POST" else None,
                      params={"jql": JQL} if method == "GET" else None)
    assert answer.status == 410
    assert answer.body == {"errorMessages": [REMOVED], "errors": {}}


def test_approximate_count(api: Api) -> None:
    """approximate-count gives {"count": N} for bounded JQL and 400 otherwise."""
    api.sandbox.seed_issues(7)
    assert api.post("/rest/api/3/search/approximate-count", {"jql": "project = HELP"}).body == {
        "count": 7}
    assert api.post("/rest/api/3/search/approximate-count", {"jql": ""}).status == 400


def test_datacenter_search_pages_by_offset_with_a_total(dc_api: Api) -> None:
    """DC /search: startAt, maxResults capped at 1000, total, navigable fields by default."""
    dc_api.sandbox.seed_issues(1500)
    answer = dc_api.get("/rest/api/2/search", jql=JQL, startAt=1490, maxResults=50)
    body = answer.body
    assert (body["startAt"], body["maxResults"], body["total"]) == (1490, 50, 1500)
    assert [i["key"] for i in body["issues"]] == [f"HELP-{n}" for n in range(1491, 1501)]
    assert "summary" in body["issues"][0]["fields"]
    assert "comment" not in body["issues"][0]["fields"]
    capped = dc_api.post("/rest/api/2/search", {"jql": JQL, "maxResults": 5000,
                                                "fields": ["key"]}).body
    assert capped["maxResults"] == 1000 and len(capped["issues"]) == 1000


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/rest/api/2/search/jql"), ("POST", "/rest/api/2/search/approximate-count"),
    ("POST", "/rest/api/2/changelog/bulkfetch"), ("GET", "/rest/api/3/myself")])
def test_datacenter_lacks_cloud_only_endpoints(dc_api: Api, method: str, path: str) -> None:
    """Data Center has no enhanced search, counts, bulk changelog or REST v3: 404."""
    assert dc_api.call(method, path, {"jql": JQL} if method == "POST" else None).status == 404


def test_jql_errors_are_jira_shaped(api: Api) -> None:
    """A JQL error is a 400 with the message in errorMessages and an empty errors object."""
    answer = api.get("/rest/api/3/search/jql", jql="project = HELP AND assignee = x")
    assert answer.status == 400
    assert answer.body["errors"] == {}
    assert "does not support searching by 'assignee'" in answer.body["errorMessages"][0]


def test_sandbox_seeding_matches_project_numbering(make_api: Callable[..., Api]) -> None:
    """Seeded issues continue the project's numbering after issues made over the API."""
    api = make_api("datacenter")
    assert api.create(version="2") == "HELP-1"
    assert api.sandbox.seed_issues(2) == ["HELP-2", "HELP-3"]
    assert api.create(version="2") == "HELP-4"
