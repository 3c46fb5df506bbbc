"""Many comments: searches embed the 20 newest with the true total; the comment list pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import Api


def add_comments(api: Api, key: str, count: int) -> None:
    for n in range(1, count + 1):
        assert api.post(f"/rest/api/2/issue/{key}/comment", {"body": f"reply {n}"}).status == 201


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_search_embeds_the_20_newest_comments_and_the_true_total(
        api: Api, dc_api: Api, flavor: str) -> None:
    """With 50 comments a search shows replies 31-50, total 50, startAt 30 (Cloud and DC)."""
    client = api if flavor == "cloud" else dc_api
    key = client.create(version="2")
    add_comments(client, key, 50)
    path = "/rest/api/2/search/jql" if flavor == "cloud" else "/rest/api/2/search"
    found = client.get(path, jql="project = HELP", fields="comment").body["issues"][0]
    page = found["fields"]["comment"]
    assert [c["body"] for c in page["comments"]] == [f"reply {n}" for n in range(31, 51)]
    assert (page["total"], page["startAt"], page["maxResults"]) == (50, 30, 20)


def test_get_issue_embeds_every_comment(api: Api) -> None:
    """GET issue is not a search: all 50 comments come with it."""
    key = api.create(version="2")
    add_comments(api, key, 50)
    page = api.get(f"/rest/api/2/issue/{key}", fields="comment").body["fields"]["comment"]
    assert (len(page["comments"]), page["total"], page["startAt"]) == (50, 50, 0)


def test_the_comment_list_pages_and_orders(api: Api) -> None:
    """startAt/maxResults walk the comments; orderBy -created starts from the newest."""
    key = api.create(version="2")
    add_comments(api, key, 50)
    url = f"/rest/api/2/issue/{key}/comment"
    seen: list[str] = []
    while len(seen) < 50:
        page = api.get(url, startAt=len(seen), maxResults=15).body
        assert page["total"] == 50 and page["maxResults"] == 15
        seen += [c["body"] for c in page["comments"]]
    assert seen == [f"reply {n}" for n in range(1, 51)]
    newest = api.get(url, orderBy="-created", maxResults=2).body["comments"]
    assert [c["body"] for c in newest] == ["reply 50", "reply 49"]
    assert api.get(url, orderBy="+created", maxResults=1).body["comments"][0]["body"] == \
        "reply 1"
    assert api.get(url, orderBy="author").status == 400


def test_cloud_pages_100_at_most_and_data_center_answers_all(api: Api, dc_api: Api) -> None:
    """Cloud: 100 a page by default and at most; DC: every comment unless maxResults says."""
    cloud_key, dc_key = api.create(version="2"), dc_api.create(version="2")
    add_comments(api, cloud_key, 120)
    add_comments(dc_api, dc_key, 120)
    cloud = api.get(f"/rest/api/3/issue/{cloud_key}/comment", maxResults=500).body
    assert (len(cloud["comments"]), cloud["maxResults"], cloud["total"]) == (100, 100, 120)
    assert len(dc_api.get(f"/rest/api/2/issue/{dc_key}/comment").body["comments"]) == 120
    assert len(dc_api.get(f"/rest/api/2/issue/{dc_key}/comment",
                          maxResults=7).body["comments"]) == 7
