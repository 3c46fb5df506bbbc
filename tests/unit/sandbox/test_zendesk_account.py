"""The Zendesk account: who may call, what exists at the start, statuses, fields, groups."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from connector.sandbox import Sandbox

if TYPE_CHECKING:
    from .conftest import Api

AGENTS = ["alice@example.edu", "bob@example.edu", "carol@example.edu", "dave@example.edu"]


def basic(login: str, secret: str = "sandbox-token") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{secret}".encode()).decode()}


@pytest.mark.parametrize("headers", [
    basic("bob@example.edu/token"), {"Authorization": "Bearer sandbox-token-bob"}])
def test_an_agent_acts_as_themselves(zd: Api, headers: dict[str, str]) -> None:
    """Bob, by API token or OAuth bearer, is `users/me`, and his comment is his."""
    ticket = zd.post("/api/v2/tickets.json", {"ticket": {"comment": {"body": "Help"}}}).body[
        "ticket"]["id"]
    zd.headers = headers
    me = zd.get("/api/v2/users/me.json").body["user"]
    assert (me["email"], me["role"]) == ("bob@example.edu", "agent")
    zd.put(f"/api/v2/tickets/{ticket}.json", {"ticket": {"comment": {"body": "On it"}}})
    comments = zd.get(f"/api/v2/tickets/{ticket}/comments.json").body["comments"]
    assert comments[-1]["author_id"] == me["id"]


@pytest.mark.parametrize("headers", [
    {}, basic("bob@example.edu/token", "wrong"), basic("bob@example.edu", "sandbox-token"),
    basic("pat.doe@uni.example.edu/token"), {"Authorization": "Bearer nope"}])
def test_anything_else_is_refused_with_zendesks_401(zd: Api, headers: dict[str, str]) -> None:
    """No credentials, a wrong token, a password, an end user: 401 Couldn't authenticate you."""
    zd.headers = headers
    answer = zd.get("/api/v2/users/me.json")
    assert (answer.status, answer.body) == (401, {"error": "Couldn't authenticate you"})


def test_the_starting_account(zd: Api) -> None:
    """The admin, the agents of mappings.yaml, three end users; five default statuses, one a
    category; the system fields; no groups, no tickets."""
    people = {u["email"]: u["role"] for u in zd.get(
        "/api/v2/users/search.json", query="e").body["users"]}
    assert people["sandbox@example.test"] == "admin"
    assert [e for e in AGENTS if people.get(e) == "agent"] == AGENTS
    assert sum(role == "end-user" for role in people.values()) == 3
    statuses = zd.get("/api/v2/custom_statuses.json").body["custom_statuses"]
    assert [(s["status_category"], s["agent_label"], s["default"]) for s in statuses] == [
        ("new", "New", True), ("open", "Open", True), ("pending", "Pending", True),
        ("hold", "On-hold", True), ("solved", "Solved", True)]
    fields = zd.get("/api/v2/ticket_fields.json").body["ticket_fields"]
    assert {f["type"] for f in fields} >= {"subject", "status", "group", "assignee"}
    assert all(not f["removable"] for f in fields)
    assert zd.get("/api/v2/groups.json").body["groups"] == []
    assert zd.get("/api/v2/tickets.json").body["tickets"] == []


def test_create_statuses_fields_and_groups(zd: Api) -> None:
    """What install-scheme creates: a custom status in a category, a drop-down with options,
    a group with members; bad input is Zendesk's 422."""
    created = zd.post("/api/v2/custom_statuses.json", {"custom_status": {
        "status_category": "pending", "agent_label": "Assigned"}})
    assert created.status == 201
    assert created.body["custom_status"]["default"] is False
    active_pending = zd.get("/api/v2/custom_statuses.json", status_categories="pending",
                            default="false").body["custom_statuses"]
    assert [s["agent_label"] for s in active_pending] == ["Assigned"]
    assert zd.post("/api/v2/custom_statuses.json", {"custom_status": {
        "status_category": "closed", "agent_label": "X"}}).status == 422
    field = zd.post("/api/v2/ticket_fields.json", {"ticket_field": {
        "type": "tagger", "title": "Tier", "custom_field_options": [
            {"name": "Tier 1", "value": "tier_1"}, {"name": "Tier 2", "value": "tier_2"}]}})
    assert field.status == 201
    assert [o["value"] for o in field.body["ticket_field"]["custom_field_options"]] == [
        "tier_1", "tier_2"]
    assert zd.post("/api/v2/ticket_fields.json", {"ticket_field": {
        "type": "tagger", "title": "Empty"}}).status == 422
    group = zd.post("/api/v2/groups.json", {"group": {"name": "Platform Support"}})
    assert group.status == 201
    assert zd.post("/api/v2/groups.json", {"group": {"name": "platform support"}}).status == 422
    alice = zd.get("/api/v2/users/search.json", query="email:alice@example.edu").body[
        "users"][0]["id"]
    member = zd.post("/api/v2/group_memberships.json", {"group_membership": {
        "user_id": alice, "group_id": group.body["group"]["id"]}})
    assert member.status == 201 and member.body["group_membership"]["default"] is True
    mine = zd.get(f"/api/v2/users/{alice}/group_memberships.json").body
    assert [m["group_id"] for m in mine["group_memberships"]] == [group.body["group"]["id"]]


def test_agents_may_not_change_the_account(zd: Api) -> None:
    """Groups, statuses, fields and webhooks are for admins: an agent gets 403."""
    zd.headers = basic("alice@example.edu/token")
    for path, body in (("/api/v2/groups.json", {"group": {"name": "G"}}),
                       ("/api/v2/custom_statuses.json", {"custom_status": {
                           "status_category": "open", "agent_label": "X"}}),
                       ("/api/v2/webhooks", {"webhook": {"name": "w",
                                                         "endpoint": "http://x.test/"}})):
        assert zd.post(path, body).status == 403, path


def test_a_ticket_field_is_updated_by_an_admin_only(zd: Api) -> None:
    """`PUT ticket_fields/{id}` replaces what it names (the agent-only description, active);
    an inactive field is refused on tickets; an agent's PUT is 403, an unknown id 404."""
    field = zd.post("/api/v2/ticket_fields.json", {"ticket_field": {
        "type": "text", "title": "Note", "active": False}}).body["ticket_field"]
    path = f"/api/v2/ticket_fields/{field['id']}.json"
    changed = zd.put(path, {"ticket_field": {"agent_description": '{"a": 1}'}})
    assert changed.body["ticket_field"]["agent_description"] == '{"a": 1}'
    shown = zd.get(path).body["ticket_field"]
    assert (shown["title"], shown["active"], shown["agent_description"]) == (
        "Note", False, '{"a": 1}')
    assert zd.post("/api/v2/tickets.json", {"ticket": {
        "comment": {"body": "x"}, "custom_fields": [{"id": field["id"], "value": "v"}]}}
                   ).status == 422
    assert zd.put("/api/v2/ticket_fields/999999.json",
                  {"ticket_field": {"active": True}}).status == 404
    zd.headers = basic("alice@example.edu/token")
    assert zd.put(path, {"ticket_field": {"active": True}}).status == 403


def test_control_endpoints_and_faults_speak_zendesk(zd: Api) -> None:
    """Seed, reset, the index and an injected 429 (Zendesk's body, Retry-After)."""
    assert zd.post("/_sandbox/seed", {"count": 2}).body == {"created": 2, "first": 1, "last": 2}
    assert zd.get("/api/v2/tickets/2.json").body["ticket"]["via"]["channel"] == "web"
    zd.post("/_sandbox/faults", {"rate_429": 1, "retry_after": 9})
    limited = zd.get("/api/v2/users/me.json")
    assert (limited.status, limited.headers["Retry-After"]) == (429, "9")
    assert limited.body["error"] == "APIRateLimitExceeded"
    assert zd.post("/_sandbox/reset").status == 204
    assert zd.get("/api/v2/tickets.json").body["tickets"] == []
    assert zd.get("/_sandbox/").body["tracker"] == "zendesk"
    assert zd.get("/api/v2/nowhere").body == {"error": "InvalidEndpoint",
                                              "description": "Not found"}


def test_flavor_is_a_jira_notion() -> None:
    """Sandbox(tracker="zendesk") takes no flavor; an unknown tracker is refused."""
    with pytest.raises(ValueError, match="flavor"):
        Sandbox("cloud", tracker="zendesk")
    with pytest.raises(ValueError, match="tracker"):
        Sandbox(tracker="freshdesk")
