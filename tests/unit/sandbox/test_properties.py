"""Entity properties of projects and comments, and comment lists that never carry properties."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import Api

API = "/rest/api/3"


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


def test_project_property_round_trip(api: Api) -> None:
    """PUT creates (201), then replaces (200); GET reads it; the keys name it; DELETE ends it."""
    claim = {"instance": "tf-1", "heartbeat": "2026-11-26T16:00:00Z"}
    url = f"{API}/project/HELP/properties/ticketflow.owner"
    assert api.put(url, claim).status == 201
    assert api.put(url, {**claim, "heartbeat": "2026-11-26T16:01:00Z"}).status == 200
    assert api.get(url).body == {"key": "ticketflow.owner",
                                 "value": {**claim, "heartbeat": "2026-11-26T16:01:00Z"}}
    keys = api.get(f"{API}/project/10000/properties").body["keys"]
    assert keys == [{"key": "ticketflow.owner",
                     "self": "http://sandbox.test/rest/api/3/project/10000/properties/"
                             "ticketflow.owner"}]
    assert api.call("DELETE", url).status == 204
    assert api.get(url).status == 404
    assert api.call("DELETE", url).status == 404
    assert api.get(f"{API}/project/NOPE/properties").status == 404


def test_a_project_property_is_not_an_issue_change(api: Api) -> None:
    """Claiming the project changes no issue: searches by `updated` see nothing new."""
    key = api.create()
    before = api.get(f"{API}/issue/{key}").body["fields"]["updated"]
    api.sandbox.advance_clock(timedelta(minutes=5))
    api.put(f"{API}/project/HELP/properties/ticketflow.owner", {"instance": "a"})
    assert api.get(f"{API}/issue/{key}").body["fields"]["updated"] == before


def test_comment_property_round_trip(api: Api) -> None:
    """A comment's property is set, read, listed and deleted by the comment's id alone."""
    key = api.create()
    comment_id = api.post(f"{API}/issue/{key}/comment", {"body": adf("Thanks!")}).body["id"]
    url = f"{API}/comment/{comment_id}/properties/ticketflow.mail"
    assert api.put(url, {"messageId": "<m1@example.org>"}).status == 201
    assert api.get(url).body["value"] == {"messageId": "<m1@example.org>"}
    assert [k["key"] for k in api.get(f"{API}/comment/{comment_id}/properties").body[
        "keys"]] == ["ticketflow.mail"]
    assert api.call("DELETE", url).status == 204
    assert api.get(f"{API}/comment/{comment_id}/properties").body == {"keys": []}
    assert api.get(f"{API}/comment/99999/properties").status == 404
    assert api.call("PUT", f"{API}/comment/{comment_id}/properties/k", raw=b"").status == 400


@pytest.mark.parametrize("expand", [None, "properties", "renderedBody,properties"])
def test_cloud_comment_lists_never_carry_properties(api: Api, expand: str | None) -> None:
    """Whatever `expand` asks, Cloud comments read back without `properties` (Atlassian
    documents only `renderedBody`), so code must read a marker from the comment property
    endpoint instead; only the answer to the POST that set them echoes them."""
    key = api.create()
    created = api.post(f"{API}/issue/{key}/comment", {
        "body": adf("Thanks!"),
        "properties": [{"key": "ticketflow.mail", "value": {"messageId": "<m1@x>"}}]})
    assert created.body["properties"] == [{"key": "ticketflow.mail",
                                           "value": {"messageId": "<m1@x>"}}]
    params = {"expand": expand} if expand else {}
    listed = api.get(f"{API}/issue/{key}/comment", **params).body["comments"]
    one = api.get(f"{API}/issue/{key}/comment/{created.body['id']}", **params).body
    embedded = api.get(f"{API}/issue/{key}", fields="comment").body["fields"]["comment"]
    searched = api.get(f"{API}/search/jql", jql="project = HELP", fields="comment").body
    for comment in (listed[0], one, embedded["comments"][0],
                    searched["issues"][0]["fields"]["comment"]["comments"][0]):
        assert "properties" not in comment
    assert api.get(f"{API}/comment/{created.body['id']}/properties/ticketflow.mail").body[
        "value"] == {"messageId": "<m1@x>"}


def test_data_center_lists_properties_only_when_expanded(dc_api: Api) -> None:
    """Data Center answers `expand=properties` on its comment resources, and only there."""
    key = dc_api.create(version="2")
    prop = [{"key": "sd.public.comment", "value": {"internal": True}}]
    comment_id = dc_api.post(f"/rest/api/2/issue/{key}/comment", {
        "body": "note", "properties": prop}).body["id"]
    url = f"/rest/api/2/issue/{key}/comment"
    assert dc_api.get(url, expand="properties").body["comments"][0]["properties"] == prop
    assert dc_api.get(f"{url}/{comment_id}", expand="properties").body["properties"] == prop
    assert "properties" not in dc_api.get(url).body["comments"][0]
    embedded = dc_api.get(f"/rest/api/2/issue/{key}", fields="comment",
                          expand="properties").body["fields"]["comment"]["comments"][0]
    assert "properties" not in embedded


def test_internal_flag_follows_the_comment_property(api: Api) -> None:
    """Setting sd.public.comment after the fact makes a comment internal (jsdPublic false)."""
    key = api.create()
    comment_id = api.post(f"/rest/api/2/issue/{key}/comment", {"body": "note"}).body["id"]
    api.put(f"{API}/comment/{comment_id}/properties/sd.public.comment", {"internal": True})
    assert api.get(f"{API}/issue/{key}/comment/{comment_id}").body["jsdPublic"] is False
