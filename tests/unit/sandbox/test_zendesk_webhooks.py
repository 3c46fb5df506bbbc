"""Zendesk webhooks: the Webhooks API, and signed deliveries of ticket changes."""

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

RECEIVER = "http://127.0.0.1:9/hooks/zendesk"  # never reached in these tests


@pytest.fixture
def queue(zd: Api) -> WebhookQueue:
    return capture_webhooks(zd)


def register(zd: Api, **webhook: Any) -> dict[str, Any]:
    answer = zd.post("/api/v2/webhooks", {"webhook": {
        "name": "ticketflow", "endpoint": RECEIVER, "http_method": "POST",
        "request_format": "json", **webhook}})
    assert answer.status == 201, answer.body
    return dict(answer.body["webhook"])


def test_the_webhooks_api(zd: Api) -> None:
    """Create (no secret in the answer), list, show, read the signing secret, delete."""
    hook = register(zd, subscriptions=["conditional_ticket_events"],
                    signing_secret={"algorithm": "sha256", "secret": "s3cret"})
    assert "signing_secret" not in hook and hook["status"] == "active"
    assert [w["id"] for w in zd.get("/api/v2/webhooks").body["webhooks"]] == [hook["id"]]
    assert zd.get(f"/api/v2/webhooks/{hook['id']}").body["webhook"] == hook
    assert zd.get(f"/api/v2/webhooks/{hook['id']}/signing_secret").body == {
        "signing_secret": {"algorithm": "SHA256", "secret": "s3cret"}}
    assert zd.call("DELETE", f"/api/v2/webhooks/{hook['id']}").status == 204
    assert zd.get(f"/api/v2/webhooks/{hook['id']}").status == 404
    assert zd.post("/api/v2/webhooks", {"webhook": {"name": "x", "endpoint": "ftp://x"}}
                   ).status == 422


def test_event_subscriptions_are_signed_as_zendesk_signs(zd: Api, queue: WebhookQueue) -> None:
    """ticket.created, status_changed and comment_added each go out once; the signature is
    base64(HMAC-SHA256(secret, timestamp + body))."""
    register(zd, subscriptions=["zen:event-type:ticket.created",
                                "zen:event-type:ticket.status_changed",
                                "zen:event-type:ticket.comment_added"])
    secret = zd.get("/api/v2/webhooks").body["webhooks"][0]["id"]
    secret = zd.get(f"/api/v2/webhooks/{secret}/signing_secret").body["signing_secret"][
        "secret"]
    ticket = zd.post("/api/v2/tickets.json", {"ticket": {"comment": {"body": "Help"}}}).body[
        "ticket"]["id"]
    zd.put(f"/api/v2/tickets/{ticket}.json", {"ticket": {"status": "open"}})
    assert [event for _, event, _, _ in queue.sent] == [
        "zen:event-type:ticket.created", "zen:event-type:ticket.comment_added",
        "zen:event-type:ticket.status_changed"]
    _, _, body, headers = queue.sent[-1]
    payload = json.loads(body)
    assert payload["subject"] == f"zen:ticket:{ticket}"
    assert payload["event"]["current"] == "open" and payload["event"]["previous"] == "new"
    timestamp = headers["X-Zendesk-Webhook-Signature-Timestamp"]
    expected = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body,
                                         hashlib.sha256).digest()).decode()
    assert headers["X-Zendesk-Webhook-Signature"] == expected


def test_a_move_between_custom_statuses_of_one_category_is_a_custom_status_change(
        zd: Api, queue: WebhookQueue) -> None:
    """As in Zendesk, a move between two custom statuses of the open category (a
    workflow's Reviewing -> In Progress) fires ticket.custom_status_changed with the
    statuses' ids (strings, as Zendesk sends ids), and no ticket.status_changed (the
    category stays open)."""
    register(zd, subscriptions=["zen:event-type:ticket.status_changed",
                                "zen:event-type:ticket.custom_status_changed"])
    made = [zd.post("/api/v2/custom_statuses", {"custom_status": {
        "status_category": "open", "agent_label": label}}).body["custom_status"]["id"]
        for label in ("Reviewing", "In Progress")]
    ticket = zd.post("/api/v2/tickets.json", {"ticket": {
        "comment": {"body": "Help"}, "custom_status_id": made[0]}}).body["ticket"]["id"]
    queue.sent.clear()
    zd.put(f"/api/v2/tickets/{ticket}.json", {"ticket": {"custom_status_id": made[1]}})
    assert [event for _, event, _, _ in queue.sent] == [
        "zen:event-type:ticket.custom_status_changed"]
    payload = json.loads(queue.sent[0][2])
    assert (payload["event"]["previous"], payload["event"]["current"]) == tuple(map(str, made))


def test_a_triggered_webhook_hears_of_every_change(zd: Api, queue: WebhookQueue) -> None:
    """conditional_ticket_events stands for one 'notify on every change' trigger."""
    register(zd, subscriptions=["conditional_ticket_events"])
    ticket = zd.post("/api/v2/tickets.json", {"ticket": {"comment": {"body": "Help"}}}).body[
        "ticket"]["id"]
    zd.put(f"/api/v2/tickets/{ticket}.json", {"ticket": {"priority": "low"}})
    bodies = [json.loads(body) for _, _, body, _ in queue.sent]
    assert [b["ticket"]["id"] for b in bodies] == [str(ticket), str(ticket)]


def test_seeded_tickets_send_nothing(zd: Api, queue: WebhookQueue) -> None:
    """Seeding is as if imported: no webhooks."""
    register(zd, subscriptions=["conditional_ticket_events"])
    zd.post("/_sandbox/seed", {"count": 3})
    assert queue.sent == []


def test_webhooks_are_listed_in_cursor_pages_and_filtered(zd: Api) -> None:
    """`GET /api/v2/webhooks` pages by cursor as Zendesk's list does (`page[size]`,
    `meta.has_more`, `page[after]`) and filters by name and status."""
    made = [register(zd, name=f"hook {n}", endpoint=f"http://127.0.0.1:9/{n}",
                     status="inactive" if n == 2 else "active")["id"] for n in range(3)]
    first = zd.get("/api/v2/webhooks", **{"page[size]": 2}).body
    assert [w["id"] for w in first["webhooks"]] == made[:2] and first["meta"]["has_more"]
    rest = zd.get("/api/v2/webhooks", **{"page[size]": 2,
                                         "page[after]": first["meta"]["after_cursor"]}).body
    assert [w["id"] for w in rest["webhooks"]] == made[2:] and not rest["meta"]["has_more"]
    assert [w["id"] for w in zd.get("/api/v2/webhooks", **{
        "filter[name_contains]": "HOOK 1"}).body["webhooks"]] == [made[1]]
    assert [w["id"] for w in zd.get("/api/v2/webhooks", **{
        "filter[status]": "inactive"}).body["webhooks"]] == [made[2]]


def test_a_webhook_is_updated_with_put_and_checked_as_on_create(zd: Api) -> None:
    """PUT replaces the webhook's settings (204, the same checks as a create); its signing
    secret stays; event subscriptions need POST and JSON, as Zendesk requires."""
    hook = register(zd, subscriptions=["zen:event-type:ticket.created"], status="inactive")
    secret = zd.get(f"/api/v2/webhooks/{hook['id']}/signing_secret").body
    changed = {"name": "renamed", "endpoint": RECEIVER, "http_method": "POST",
               "request_format": "json", "status": "active",
               "subscriptions": ["zen:event-type:ticket.comment_added"]}
    assert zd.put(f"/api/v2/webhooks/{hook['id']}", {"webhook": changed}).status == 204
    shown = zd.get(f"/api/v2/webhooks/{hook['id']}").body["webhook"]
    assert {k: shown[k] for k in changed} == changed
    assert zd.get(f"/api/v2/webhooks/{hook['id']}/signing_secret").body == secret
    refused = zd.put(f"/api/v2/webhooks/{hook['id']}",
                     {"webhook": {**changed, "request_format": "xml"}})
    assert refused.status == 422
    assert zd.put("/api/v2/webhooks/01NOSUCHHOOK", {"webhook": changed}).status == 404
