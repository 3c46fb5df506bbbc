"""Jira admin webhooks: registration as /rest/webhooks/1.0/webhook answers, and what is queued."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import WebhookQueue, capture_webhooks

if TYPE_CHECKING:
    from .conftest import Api

HOOKS = "/rest/webhooks/1.0/webhook"
RECEIVER = "http://127.0.0.1:9/hooks/jira"  # never reached in these tests


@pytest.fixture
def queue(api: Api) -> WebhookQueue:
    return capture_webhooks(api)


def test_registration_answers_like_jira(api: Api) -> None:
    """201 with a `self` ending in the id; listed, read, updated and deleted; no secret shown."""
    created = api.post(HOOKS, {"name": "ticketflow", "url": RECEIVER,
                               "events": ["jira:issue_updated"], "secret": "s3cret",
                               "filters": {"issue-related-events-section": "project = HELP"}})
    assert created.status == 201
    hook = created.body
    assert hook["self"] == f"http://sandbox.test{HOOKS}/1"
    assert (hook["name"], hook["url"], hook["events"], hook["enabled"]) == (
        "ticketflow", RECEIVER, ["jira:issue_updated"], True)
    assert hook["filters"] == {"issue-related-events-section": "project = HELP"}
    assert "secret" not in hook and hook["lastUpdatedDisplayName"] == "Sandbox Admin"
    assert api.get(HOOKS).body == [hook]
    assert api.get(f"{HOOKS}/1").body == hook
    assert api.put(f"{HOOKS}/1", {"url": RECEIVER, "events": ["comment_created"]}).body[
        "events"] == ["comment_created"]
    assert api.call("DELETE", f"{HOOKS}/1").status == 204
    assert api.get(f"{HOOKS}/1").status == 404


@pytest.mark.parametrize("body", [
    {"url": "ftp://example.org/x"}, {"url": RECEIVER, "events": ["jira:nonsense"]},
    {"url": RECEIVER, "filters": {"issue-related-events-section": "project = NOPE"}}])
def test_bad_registrations_are_refused(api: Api, body: dict[str, Any]) -> None:
    """A non-HTTP URL, an unknown event or a JQL filter Jira would refuse: 400."""
    assert api.post(HOOKS, body).status == 400


def test_only_an_administrator_registers(make_api: Any) -> None:
    """Bob (a plain user) gets 403 from the admin resource."""
    api = make_api("cloud")
    pair = base64.b64encode(b"bob@example.edu:sandbox-token").decode()
    api.headers = {"Authorization": f"Basic {pair}"}
    assert api.post(HOOKS, {"url": RECEIVER}).status == 403
    assert api.get(HOOKS).status == 403


def test_changes_are_queued_signed_and_filtered(api: Api, queue: WebhookQueue) -> None:
    """Create, edit and comment queue their events; the body's HMAC is in X-Hub-Signature;
    an issue outside the webhook's JQL sends nothing."""
    api.post("/_sandbox/webhooks", {"url": RECEIVER, "secret": "s3cret",
                                    "jql": "project = HELP"})
    key = api.create("Printer on fire")
    api.put(f"/rest/api/3/issue/{key}", {"fields": {"summary": "Printer still on fire"}})
    api.post(f"/rest/api/2/issue/{key}/comment", {"body": "On my way"})
    events = [(event, json.loads(body)) for _, event, body, _ in queue.sent]
    assert [e for e, _ in events] == ["jira:issue_created", "jira:issue_updated",
                                      "comment_created", "jira:issue_updated"]
    created, updated, commented, commented_update = (b for _, b in events)
    assert created["issue"]["key"] == key and created["user"]["displayName"] == "Sandbox Admin"
    assert updated["issue_event_type_name"] == "issue_generic"
    assert updated["changelog"]["items"][0]["toString"] == "Printer still on fire"
    assert commented["comment"]["body"] == "On my way" and commented["issue"]["key"] == key
    assert commented_update["issue_event_type_name"] == "issue_commented"
    url, _, body, headers = queue.sent[0]
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert url == RECEIVER and headers["X-Hub-Signature"] == f"sha256={digest}"
    assert headers["X-Atlassian-Webhook-Flow"] == "Primary"
    api.post("/_sandbox/projects", {"key": "OPS"})
    api.create(project={"key": "OPS"})
    assert len(queue.sent) == 4


def test_a_webhook_without_a_secret_is_not_signed(dc_api: Api) -> None:
    """No secret, no X-Hub-Signature; only the events asked for are sent."""
    captured = capture_webhooks(dc_api)
    dc_api.post("/_sandbox/webhooks", {"url": RECEIVER, "events": ["comment_created"]})
    key = dc_api.create(version="2")
    dc_api.post(f"/rest/api/2/issue/{key}/comment", {"body": "hello"})
    assert [(event, headers) for _, event, _, headers in captured.sent] == [
        ("comment_created", {})]
