"""Zendesk tickets: create, update with a comment, find by external id, audits, lifecycle."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import Api

T = "/api/v2/tickets"


def create(zd: Api, **ticket: Any) -> dict[str, Any]:
    payload = {"subject": "Locked out", "comment": {"body": "I cannot log in."}, **ticket}
    answer = zd.post(f"{T}.json", {"ticket": payload})
    assert answer.status == 201, answer.body
    return dict(answer.body["ticket"])


def setup_group(zd: Api, name: str, *emails: str) -> int:
    group = zd.post("/api/v2/groups.json", {"group": {"name": name}}).body["group"]["id"]
    for email in emails:
        user = zd.get("/api/v2/users/search.json", query=f"email:{email}").body["users"][0]
        assert zd.post("/api/v2/group_memberships.json", {"group_membership": {
            "user_id": user["id"], "group_id": group}}).status == 201
    return int(group)


def test_create_with_a_new_requester_external_id_and_tags(zd: Api) -> None:
    """A requester given by email becomes an end user; external_id finds the ticket again;
    the first comment is the description; the answer carries the creation audit."""
    answer = zd.post(f"{T}.json", {"ticket": {
        "subject": "Export times out", "comment": {"body": "CSV export stops.", "public": True},
        "requester": {"email": "lee.chen@uni.example.edu", "name": "Lee Chen"},
        "external_id": "<m1@uni.example.edu>", "tags": ["mail", "Mail"]}})
    assert answer.status == 201
    ticket, audit = answer.body["ticket"], answer.body["audit"]
    assert (ticket["status"], ticket["description"], ticket["tags"]) == (
        "new", "CSV export stops.", ["mail"])
    requester = zd.get(f"/api/v2/users/{ticket['requester_id']}.json").body["user"]
    assert (requester["role"], requester["name"]) == ("end-user", "Lee Chen")
    assert audit["events"][0]["type"] == "Comment"
    assert {e["field_name"] for e in audit["events"] if e["type"] == "Create"} >= {
        "subject", "status", "requester_id", "custom_status_id", "external_id"}
    found = zd.get(f"{T}.json", external_id="<m1@uni.example.edu>").body
    assert [t["id"] for t in found["tickets"]] == [ticket["id"]] and found["count"] == 1
    assert zd.get(f"{T}.json", external_id="other").body["tickets"] == []


def test_a_requester_who_exists_is_taken_as_is(zd: Api) -> None:
    """`requester: {email, name}` naming someone Zendesk knows makes them the requester
    and leaves their name alone ("no updates will be made to existing users during the
    ticket create process", Zendesk's Tickets reference), as the adapter relies on."""
    first = create(zd, requester={"email": "lee.chen@uni.example.edu", "name": "Lee Chen"})
    again = create(zd, requester={"email": "Lee.Chen@uni.example.edu", "name": "lee.chen"})
    assert again["requester_id"] == first["requester_id"]
    user = zd.get(f"/api/v2/users/{first['requester_id']}.json").body["user"]
    assert user["name"] == "Lee Chen"


def test_update_sets_fields_and_adds_a_private_note_in_one_audit(zd: Api) -> None:
    """Status, priority and a private comment in one PUT make one audit with Change events."""
    ticket = create(zd)
    answer = zd.put(f"{T}/{ticket['id']}.json", {"ticket": {
        "status": "pending", "priority": "high",
        "comment": {"body": "Asked for a screenshot.", "public": False}}})
    assert answer.status == 200
    events = answer.body["audit"]["events"]
    assert events[0]["public"] is False
    changes = {e["field_name"]: (e["previous_value"], e["value"]) for e in events[1:]}
    assert changes["status"] == ("new", "pending") and changes["priority"] == (None, "high")
    listed = zd.get(f"{T}/{ticket['id']}/comments.json").body
    assert [(c["body"], c["public"]) for c in listed["comments"]] == [
        ("I cannot log in.", True), ("Asked for a screenshot.", False)]
    assert len(zd.get(f"{T}/{ticket['id']}/audits.json").body["audits"]) == 2


def test_an_update_that_changes_nothing_writes_no_audit(zd: Api) -> None:
    """Setting a value it already has leaves updated_at and the audits alone."""
    ticket = create(zd)
    zd.sandbox.advance_clock(timedelta(minutes=5))
    answer = zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"subject": "Locked out"}})
    assert "audit" not in answer.body
    assert answer.body["ticket"]["updated_at"] == ticket["updated_at"]


def test_custom_status_decides_the_status_category(zd: Api) -> None:
    """A custom status puts the ticket in its category; a bare status takes the default."""
    reviewing = zd.post("/api/v2/custom_statuses.json", {"custom_status": {
        "status_category": "open", "agent_label": "Reviewing"}}).body["custom_status"]
    ticket = create(zd, custom_status_id=reviewing["id"])
    assert (ticket["status"], ticket["custom_status_id"]) == ("open", reviewing["id"])
    held = zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"status": "hold"}}).body["ticket"]
    on_hold = zd.get("/api/v2/custom_statuses.json", status_categories="hold").body
    assert held["custom_status_id"] == on_hold["custom_statuses"][0]["id"]
    assert zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"status": "closed"}}).status == 422


def test_group_and_assignee_must_agree(zd: Api) -> None:
    """An assignee outside the group is a 422; alone, the assignee brings their group;
    moving the ticket to a group the assignee is not in unassigns it."""
    tier1 = setup_group(zd, "Tier 1", "alice@example.edu")
    tier2 = setup_group(zd, "Tier 2", "bob@example.edu")
    alice = zd.get("/api/v2/users/search.json", query="email:alice@example.edu").body[
        "users"][0]["id"]
    refused = zd.post(f"{T}.json", {"ticket": {"comment": {"body": "x"}, "group_id": tier2,
                                               "assignee_id": alice}})
    assert refused.status == 422
    assert refused.body == {"error": "RecordInvalid", "description": "Record validation errors",
                            "details": {"assignee": [{"description":
                                                      "Assignee is not a member of the group"}]}}
    ticket = create(zd, assignee_id=alice)
    assert ticket["group_id"] == tier1
    moved = zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"group_id": tier2}}).body["ticket"]
    assert (moved["group_id"], moved["assignee_id"]) == (tier2, None)
    end_user = ticket["requester_id"]
    assert zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"assignee_id": end_user}}).status \
        == 422


def test_a_refused_update_changes_nothing(zd: Api) -> None:
    """A 422 (bad assignee) leaves the fields set in the same request unapplied."""
    ticket = create(zd)
    answer = zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"status": "open",
                                                            "assignee_id": 999}})
    assert answer.status == 422
    assert zd.get(f"{T}/{ticket['id']}.json").body["ticket"]["status"] == "new"


def test_a_drop_down_value_is_checked_and_tags_the_ticket(zd: Api) -> None:
    """A tagger field takes only its option values, and its tag follows the value."""
    field = zd.post("/api/v2/ticket_fields.json", {"ticket_field": {
        "type": "tagger", "title": "Category", "custom_field_options": [
            {"name": "Access", "value": "cat_access"},
            {"name": "Data export", "value": "cat_export"}]}}).body["ticket_field"]
    ticket = create(zd, custom_fields=[{"id": field["id"], "value": "cat_access"}])
    assert ticket["tags"] == ["cat_access"]
    assert ticket["custom_fields"] == [{"id": field["id"], "value": "cat_access"}]
    changed = zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"custom_fields": [
        {"id": field["id"], "value": "cat_export"}]}}).body["ticket"]
    assert changed["tags"] == ["cat_export"]
    assert zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"custom_fields": [
        {"id": field["id"], "value": "nope"}]}}).status == 422
    assert zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"custom_fields": [
        {"id": 1, "value": "x"}]}}).status == 422


def test_solved_closes_after_four_days_and_then_refuses_updates(zd: Api) -> None:
    """Four days after solved the ticket is closed (an automation audit); an update is 422
    'Status: closed prevents ticket update'; a follow-up refers to it."""
    ticket = create(zd)
    zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"status": "solved"}})
    zd.sandbox.advance_clock(timedelta(days=4) - timedelta(seconds=1))
    assert zd.get(f"{T}/{ticket['id']}.json").body["ticket"]["status"] == "solved"
    zd.sandbox.advance_clock(timedelta(seconds=1))
    assert zd.get(f"{T}/{ticket['id']}.json").body["ticket"]["status"] == "closed"
    last = zd.get(f"{T}/{ticket['id']}/audits.json").body["audits"][-1]
    assert last["via"]["source"]["rel"] == "automation"
    refused = zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"comment": {"body": "again"}}})
    assert (refused.status, refused.body["details"]) == (422, {"status": [
        {"description": "Status: closed prevents ticket update"}]})
    follow = create(zd, via_followup_source_id=ticket["id"], tags=None)
    assert follow["via"]["source"] == {"from": {"ticket_id": ticket["id"],
                                                "subject": "Locked out"},
                                       "to": {}, "rel": "follow_up"}
    assert zd.get(f"{T}/{ticket['id']}.json").body["ticket"]["followup_ids"] == [follow["id"]]


def test_show_many_and_not_found(zd: Api) -> None:
    """show_many returns those that exist; an unknown ticket is RecordNotFound."""
    first, second = create(zd), create(zd)
    many = zd.get(f"{T}/show_many.json", ids=f"{first['id']},{second['id']},999").body
    assert [t["id"] for t in many["tickets"]] == [first["id"], second["id"]]
    missing = zd.get(f"{T}/999.json")
    assert (missing.status, missing.body) == (404, {"error": "RecordNotFound",
                                                    "description": "Not found"})
    assert zd.get(f"{T}/{first['id']}").status == 200  # the .json suffix is optional


@pytest.mark.parametrize("params", [{"per_page": 2}, {"page[size]": 2}])
def test_comments_page(zd: Api, params: dict[str, int]) -> None:
    """Five comments come in pages of two, by offset or by cursor, oldest first."""
    ticket = create(zd)
    for n in range(4):
        zd.put(f"{T}/{ticket['id']}.json", {"ticket": {"comment": {"body": f"reply {n}"}}})
    seen: list[str] = []
    extra: dict[str, Any] = {}
    while True:
        page = zd.get(f"{T}/{ticket['id']}/comments.json", **params, **extra).body
        seen += [c["body"] for c in page["comments"]]
        if "meta" in page:
            if not page["meta"]["has_more"]:
                break
            extra = {"page[after]": page["meta"]["after_cursor"]}
        else:
            if page["next_page"] is None:
                break
            extra = {"page": int(page["next_page"].split("page=")[1].split("&")[0])}
    assert seen == ["I cannot log in.", "reply 0", "reply 1", "reply 2", "reply 3"]
