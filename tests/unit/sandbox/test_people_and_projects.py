"""Assignable users per project, and more than one project searched with one JQL query."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import Api

ROLE_USERS = ["alice@example.edu", "bob@example.edu", "carol@example.edu", "dave@example.edu"]


def test_assignable_search_leaves_out_who_may_not_be_assigned(api: Api) -> None:
    """Cloud: the observer exists (user search finds them) but is not assignable in HELP."""
    assignable = api.get("/rest/api/3/user/assignable/search", project="HELP", query="").body
    assert [u["emailAddress"] for u in assignable] == ["sandbox@example.test", *ROLE_USERS]
    assert api.get("/rest/api/3/user/search", query="robin").body[0]["displayName"] == \
        "Robin Reader"
    assert api.get("/rest/api/3/user/assignable/search", project="HELP",
                   query="robin").body == []
    bob = api.get("/rest/api/3/user/assignable/search", project="HELP", query="bob").body
    assert [u["accountId"] for u in bob] == [
        api.get("/rest/api/3/user/search", query="bob").body[0]["accountId"]]


def test_assignable_search_on_data_center_takes_username(dc_api: Api) -> None:
    """DC: `username` (may be left out: everyone assignable), by issue key too."""
    key = dc_api.create(version="2")
    found = dc_api.get("/rest/api/2/user/assignable/search", issueKey=key, username="car").body
    assert [u["name"] for u in found] == ["carol@example.edu"]
    everyone = dc_api.get("/rest/api/2/user/assignable/search", project="HELP").body
    assert "robin.reader@example.edu" not in [u["name"] for u in everyone]
    assert len(everyone) == 5


@pytest.mark.parametrize("params", [{"query": "bob"}, {"project": "HELP"}])
def test_assignable_search_needs_a_project_and_a_query(api: Api,
                                                       params: dict[str, str]) -> None:
    """Cloud refuses the search without a project (or issue) or without a query: 400."""
    assert api.get("/rest/api/3/user/assignable/search", **params).status == 400


def test_an_unassignable_user_cannot_be_assigned(api: Api, dc_api: Api) -> None:
    """Assigning the observer is a 400 on the assignee field, as Jira answers."""
    key = api.create()
    robin = api.get("/rest/api/3/user/search", query="robin").body[0]["accountId"]
    refused = api.put(f"/rest/api/3/issue/{key}/assignee", {"accountId": robin})
    assert refused.status == 400
    assert refused.body["errors"] == {"assignee": f"User '{robin}' cannot be assigned issues."}
    dc_key = dc_api.create(version="2")
    assert dc_api.put(f"/rest/api/2/issue/{dc_key}", {"fields": {"assignee": {
        "name": "robin.reader@example.edu"}}}).status == 400


def test_an_explicit_user_list_has_no_observer(make_api: Callable[..., Api]) -> None:
    """Given users, the sandbox seeds exactly those (and the API user), all assignable."""
    api = make_api("cloud", users=["zoe@example.org"])
    found = api.get("/rest/api/3/user/assignable/search", project="HELP", query="").body
    assert [u["displayName"] for u in found] == ["Sandbox Admin", "Zoe"]


def test_a_second_project_and_one_search_over_both(api: Api) -> None:
    """POST /_sandbox/projects adds OPS; `project in (...)` finds issues of both at once."""
    added = api.post("/_sandbox/projects", {"key": "OPS", "name": "Operations"})
    assert added.status == 201 and added.body == {"id": "10001", "key": "OPS",
                                                  "name": "Operations"}
    api.post("/_sandbox/seed", {"count": 2})
    api.post("/_sandbox/seed", {"count": 3, "project": "OPS"})
    jql = 'project in ("HELP", "OPS") ORDER BY key ASC'
    keys = [i["key"] for i in api.get("/rest/api/3/search/jql", jql=jql, fields="key").body[
        "issues"]]
    assert keys == ["HELP-1", "HELP-2", "OPS-1", "OPS-2", "OPS-3"]
    only_ops = api.get("/rest/api/3/search/jql", jql='project = "OPS"', fields="key").body
    assert len(only_ops["issues"]) == 3
    assert [p["key"] for p in api.get("/rest/api/3/project").body] == ["HELP", "OPS"]
    assert api.create(project={"key": "OPS"}) == "OPS-4"
    assert api.post("/_sandbox/projects", {"key": "OPS"}).status == 400
    assert api.post("/_sandbox/projects", {"key": "ops-2"}).status == 400
    assert api.post("/_sandbox/reset").status == 204
    assert [p["key"] for p in api.get("/rest/api/3/project").body] == ["HELP"]


def test_a_project_added_with_people_it_refuses(api: Api) -> None:
    """`unassignable` people are left out of the new project's assignable-user search and
    refused as its issues' assignee, while HELP still takes them; an unknown person is a
    400 and adds no project."""
    assert api.post("/_sandbox/projects", {"key": "OPS",
                                           "unassignable": ["alice@example.edu"]}).status == 201

    def assignable(project: str) -> list[str]:
        found = api.get("/rest/api/3/user/assignable/search", project=project, query="").body
        return [u["emailAddress"] for u in found]

    assert "alice@example.edu" not in assignable("OPS")
    assert "bob@example.edu" in assignable("OPS")
    assert "alice@example.edu" in assignable("HELP")
    alice = api.get("/rest/api/3/user/search", query="alice").body[0]["accountId"]
    key = api.create(project={"key": "OPS"})
    assert api.put(f"/rest/api/3/issue/{key}/assignee", {"accountId": alice}).status == 400
    assert api.post("/_sandbox/projects", {"key": "OPX",
                                           "unassignable": ["nobody@example.edu"]}).status == 400
    assert [p["key"] for p in api.get("/rest/api/3/project").body] == ["HELP", "OPS"]
