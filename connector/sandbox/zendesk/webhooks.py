"""Zendesk webhooks: the Webhooks API (`/api/v2/webhooks`) and signed delivery.

How real Zendesk sends them (developer.zendesk.com: "Webhooks API", "Creating and monitoring
webhooks", "Webhook event types", "Ticket events", "Verifying webhook authenticity"): a webhook
is only an endpoint; what makes it fire is either a *trigger or automation* whose action
"Notify webhook" sends a body the admin wrote (the webhook's subscriptions are then
`["conditional_ticket_events"]`), or an *event subscription* such as
`zen:event-type:ticket.created` (predefined JSON: `type`, `id`, `time`, `subject`
"zen:ticket:ID", `detail` with the ticket, `event`). Every request carries
`X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(signing secret, timestamp + raw body)) and
`X-Zendesk-Webhook-Signature-Timestamp`; the secret is read from
`GET /api/v2/webhooks/{id}/signing_secret`. Only admins manage webhooks.

What the sandbox simplifies: a `conditional_ticket_events` webhook behaves as if one trigger,
"on every ticket change, notify this webhook", were connected, with the body
`{"ticket": {"id", "status", "updated_at"}}`; event subscriptions fire for
ticket.created, ticket.status_changed (the status category), ticket.custom_status_changed,
ticket.comment_added, ticket.agent_assignment_changed, ticket.group_assignment_changed and
ticket.custom_field_changed; each delivery is tried once, from a background thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from connector.sandbox.control import json_object
from connector.sandbox.routing import Reply, Request, Route
from connector.sandbox.zendesk.errors import bad_value, forbidden, invalid, not_found
from connector.sandbox.zendesk.model import Audit, Ticket, Webhook
from connector.sandbox.zendesk.paging import cursor_page
from connector.sandbox.zendesk.render import Json, Renderer, stamp

if TYPE_CHECKING:
    from connector.sandbox.zendesk.app import ZendeskApp

TRIGGERED = "conditional_ticket_events"
PREFIX = "zen:event-type:ticket."
# Which audit field makes which ticket event.
_FIELD_EVENTS = {"status": "status_changed", "custom_status_id": "custom_status_changed",
                 "assignee_id": "agent_assignment_changed",
                 "group_id": "group_assignment_changed"}
EVENTS = (TRIGGERED, *(PREFIX + name for name in (
    "created", "status_changed", "custom_status_changed", "comment_added",
    "agent_assignment_changed",
    "group_assignment_changed", "custom_field_changed")))
_ALLOWED = {"http_method": ("GET", "POST", "PUT", "PATCH", "DELETE"),
            "request_format": ("json", "xml", "form_encoded"), "status": ("active", "inactive")}


def _admin(app: ZendeskApp) -> None:
    if app.store.current_user.role != "admin":
        raise forbidden()


def _webhook(app: ZendeskApp, req: Request) -> Webhook:
    found = app.store.webhooks.get(req.params["id"])
    if found is None:
        raise not_found()
    return found


def create(app: ZendeskApp, req: Request) -> Reply:
    """{"webhook": {"name", "endpoint", "http_method", "request_format", "subscriptions",
    "signing_secret"?}} (admins)."""
    _admin(app)
    data = _settings(req)
    secret = data.get("signing_secret")
    given = secret.get("secret") if isinstance(secret, dict) else None
    now = app.store.now()
    hook = Webhook(id=f"01SANDBOX{app.store.next_id('webhook'):017d}", name=str(data["name"]),
                   endpoint=str(data["endpoint"]), subscriptions=list(data["subscriptions"]),
                   secret=str(given or secrets.token_urlsafe(32)), created=now, updated=now,
                   created_by=app.store.me, status=str(data["status"]),
                   http_method=str(data["http_method"]),
                   request_format=str(data["request_format"]))
    app.store.webhooks[hook.id] = hook
    return Reply(201, {"webhook": Renderer(app.base_url).webhook(hook)})


def update(app: ZendeskApp, req: Request) -> Reply:
    """PUT: the webhook's settings replaced (admins); 204. The secret is not set this way."""
    _admin(app)
    hook = _webhook(app, req)
    data = _settings(req)
    hook.name, hook.endpoint = str(data["name"]), str(data["endpoint"])
    hook.subscriptions, hook.status = list(data["subscriptions"]), str(data["status"])
    hook.http_method = str(data["http_method"])
    hook.request_format = str(data["request_format"])
    hook.updated = app.store.now()
    return Reply(204)


def _settings(req: Request) -> Json:
    """The `webhook` object of a create or update, checked as Zendesk checks it."""
    data = json_object(req).get("webhook")
    if not isinstance(data, dict):
        raise bad_value("The request body must contain a `webhook` object.")
    if urlsplit(str(data.get("endpoint") or "")).scheme not in ("http", "https"):
        raise invalid("endpoint", "Endpoint: must be an http or https URL")
    if not data.get("name"):
        raise invalid("name", "Name: cannot be blank")
    subscriptions = data.get("subscriptions") or [TRIGGERED]
    if not isinstance(subscriptions, list) or any(s not in EVENTS for s in subscriptions):
        raise invalid("subscriptions", f"Subscriptions: must be drawn from {list(EVENTS)}")
    settings = {"http_method": data.get("http_method") or "POST",
                "request_format": data.get("request_format") or "json",
                "status": data.get("status") or "active"}
    for key, allowed in _ALLOWED.items():
        if settings[key] not in allowed:
            raise invalid(key, f"{key}: must be one of {list(allowed)}")
    if subscriptions != [TRIGGERED] and (settings["http_method"], settings["request_format"]) \
            != ("POST", "json"):
        raise invalid("subscriptions", "Event subscriptions need http_method POST and "
                      "request_format json")
    return {**data, **settings, "subscriptions": subscriptions}


def list_all(app: ZendeskApp, req: Request) -> Reply:
    """Every webhook (admins), cursor-paged; `filter[name_contains]` and `filter[status]`."""
    _admin(app)
    r = Renderer(app.base_url)
    part = (req.arg("filter[name_contains]") or "").lower()
    status = req.arg("filter[status]")
    hooks = [r.webhook(w) for w in app.store.webhooks.values()
             if part in w.name.lower() and status in (None, w.status)]
    return Reply(body=cursor_page(req, f"{app.base_url}/api/v2/webhooks", "webhooks", hooks))


def show(app: ZendeskApp, req: Request) -> Reply:
    """One webhook (admins)."""
    _admin(app)
    return Reply(body={"webhook": Renderer(app.base_url).webhook(_webhook(app, req))})


def delete(app: ZendeskApp, req: Request) -> Reply:
    """Remove a webhook (admins)."""
    _admin(app)
    del app.store.webhooks[_webhook(app, req).id]
    return Reply(204)


def signing_secret(app: ZendeskApp, req: Request) -> Reply:
    """The webhook's signing secret (admins)."""
    _admin(app)
    return Reply(body={"signing_secret": {"algorithm": "SHA256",
                                          "secret": _webhook(app, req).secret}})


# -- delivery -----------------------------------------------------------------------------------


def publish(app: ZendeskApp) -> None:
    """Send what the request just changed to every active webhook that wants it."""
    changed, app.store.changed = app.store.changed, []
    hooks = [w for w in app.store.webhooks.values() if w.status == "active"]
    for ticket, audit in changed if hooks else []:
        for name, event in _events(audit):
            for hook in hooks:
                if PREFIX + name in hook.subscriptions:
                    _send(app, hook, PREFIX + name, _payload(app, ticket, audit, name, event))
        for hook in hooks:
            if TRIGGERED in hook.subscriptions:
                _send(app, hook, TRIGGERED, {"ticket": {
                    "id": str(ticket.id), "status": ticket.status,
                    "updated_at": stamp(ticket.updated)}})


def _events(audit: Audit) -> list[tuple[str, Json]]:
    """(event name, `event` object) for each thing the audit did."""
    found: list[tuple[str, Json]] = []
    for event in audit.events:
        if event["type"] == "Comment":
            found.append(("comment_added", {"comment": {
                "id": str(event["id"]), "body": event["body"], "is_public": event["public"],
                "author": {"id": str(event["author_id"])}}}))
        elif event["field_name"] == "subject" and event["type"] == "Create":
            found.insert(0, ("created", {}))
        elif event["field_name"] in _FIELD_EVENTS and event["type"] == "Change":
            found.append((_FIELD_EVENTS[event["field_name"]], {
                "current": event["value"], "previous": event.get("previous_value")}))
        elif event["field_name"].isdigit() and event["type"] == "Change":
            found.append(("custom_field_changed", {
                "custom_field": {"id": event["field_name"]}, "current": event["value"],
                "previous": event.get("previous_value")}))
    return found


def _payload(app: ZendeskApp, ticket: Ticket, audit: Audit, name: str, event: Json) -> Json:
    return {"type": PREFIX + name, "account_id": 1, "id": str(uuid.uuid4()),
            "time": stamp(audit.created), "zendesk_event_version": "2022-11-06",
            "subject": f"zen:ticket:{ticket.id}", "detail": _detail(ticket, audit),
            "event": {**event, "meta": {"sequence": {"id": str(audit.id), "position": 1}}}}


def _detail(ticket: Ticket, audit: Audit) -> Json:
    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {"actor_id": text(audit.author_id), "assignee_id": text(ticket.assignee_id),
            "brand_id": None, "created_at": stamp(ticket.created),
            "custom_status": text(ticket.custom_status_id), "description": ticket.description,
            "external_id": text(ticket.external_id), "form_id": None,
            "group_id": text(ticket.group_id), "id": str(ticket.id),
            "is_public": ticket.is_public, "organization_id": None,
            "priority": ticket.priority, "requester_id": text(ticket.requester_id),
            "status": ticket.status.upper(), "subject": ticket.subject,
            "submitter_id": text(ticket.submitter_id), "tags": list(ticket.tags),
            "type": ticket.type, "updated_at": stamp(ticket.updated),
            "via": {"channel": audit.via.get("channel")}}


def _send(app: ZendeskApp, hook: Webhook, event: str, payload: Json) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = stamp(app.store.now()) or ""
    digest = hmac.new(hook.secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    app.webhooks.send(hook.endpoint, event, body, {
        "User-Agent": "Zendesk Webhook", "X-Zendesk-Webhook-Id": hook.id,
        "X-Zendesk-Webhook-Invocation-Id": str(uuid.uuid4().int % 10**12),
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp})


ROUTES = [
    Route("GET", "/api/v2/webhooks", list_all),
    Route("POST", "/api/v2/webhooks", create),
    Route("GET", "/api/v2/webhooks/{id}", show),
    Route("PUT", "/api/v2/webhooks/{id}", update),
    Route("DELETE", "/api/v2/webhooks/{id}", delete),
    Route("GET", "/api/v2/webhooks/{id}/signing_secret", signing_secret),
]
