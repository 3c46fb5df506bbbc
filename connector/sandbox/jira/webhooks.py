"""Jira's admin webhooks: registration (`/rest/webhooks/1.0/webhook`) and signed delivery.

What Jira does, and where it is written down:

- Two kinds exist on Cloud. *Admin webhooks* are created in Jira administration (System >
  WebHooks) or with `POST /rest/webhooks/1.0/webhook` by a Jira administrator, with a plain API
  token; `GET` lists them, `GET|PUT|DELETE /rest/webhooks/1.0/webhook/{id}` read, change and
  remove one. *Dynamic webhooks* (`/rest/api/{2,3}/webhook`) are for Connect and OAuth 2.0
  apps only ("Only Connect and OAuth 2.0 apps can register and manage webhooks") and expire
  after 30 days: not for ticketflow's token.
  (developer.atlassian.com/cloud/jira/platform/webhooks/: "Webhooks created in Jira
  Administration or registered by /rest/webhooks/1.0/webhook are called admin webhooks";
  .../rest/v2/api-group-webhooks/; jira-rest-facts.md section 8.)
- The registration body: `name`, `url`, `events` (e.g. `jira:issue_created`,
  `jira:issue_updated`, `comment_created`), `filters: {"issue-related-events-section": JQL}`,
  `excludeBody`, and on Cloud an optional `secret`. The answer is 201 with the webhook,
  whose `self` link ends in its id (seen in clients that read `created["self"]`, e.g.
  jira.js server `createWebhook`; mrrefactoring.github.io/jira.js).
- Signed delivery (Cloud "secure admin webhooks", since February 2024): with a secret, every
  POST carries `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the
  secret>` in the WebSub `method=signature` form (not `X-Hub-Signature-256`); webhooks of
  apps are not signed this way (hookdeck.com "How to Secure and Verify Jira Webhooks";
  nango.dev Jira webhooks; n8n-io/n8n#8822). Cloud also sends
  `X-Atlassian-Webhook-Identifier` (the same across retries of one delivery) and
  `X-Atlassian-Webhook-Flow: Primary` (jira.js `WebhookHeaders`).
- Data Center serves the same `/rest/webhooks/1.0/webhook` resource and, from 10.0, sends
  webhooks asynchronously from a thread pool (developer.atlassian.com/server/jira/platform/
  webhooks/). Whether a Data Center version signs with a secret was not confirmed; the
  sandbox signs on both flavors whenever a secret was given.
- Payloads: `{"timestamp", "webhookEvent", "issue_event_type_name", "user", "issue": {id,
  self, key, fields}, "changelog": {id, items}}` for `jira:issue_updated`;
  `comment_created` carries `comment` and a short `issue` (jira-rest-facts.md section 8).
  Adding a comment also sends `jira:issue_updated` with `issue_event_type_name:
  issue_commented`.

What the sandbox simplifies: each delivery is tried once (Jira retries failures); bodies use
REST v2 shapes; URL variables such as `${issue.key}` are not expanded. Deliveries go out from
one background thread after the request that caused them, so a slow receiver never holds up
the API. `POST /_sandbox/webhooks` registers a URL directly, without the admin resource.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from connector.sandbox.accounts import API_USER
from connector.sandbox.control import json_object
from connector.sandbox.jira.errors import ApiError, bad_request
from connector.sandbox.jira.issue_view import IssueView, render_issue, select_fields
from connector.sandbox.jira.jql import JqlError
from connector.sandbox.jira.model import Event, Issue, Webhook
from connector.sandbox.jira.query import compile_jql
from connector.sandbox.jira.render import Json, Renderer
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp

EVENTS = ("jira:issue_created", "jira:issue_updated", "comment_created")
_JQL_FILTER = "issue-related-events-section"
BASE = "/rest/webhooks/1.0/webhook"


def register(app: JiraApp, payload: dict[str, Any], webhook_id: int | None = None) -> Webhook:
    """Validate a registration body and store the webhook (a new one unless `webhook_id`)."""
    url = payload.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise bad_request("The webhook URL must be an http or https URL.")
    events = payload.get("events", list(EVENTS))
    if not isinstance(events, list) or not all(e in EVENTS for e in events):
        raise bad_request(f"The events must be a list drawn from {list(EVENTS)}.")
    filters = payload.get("filters") or {}
    jql = str(filters.get(_JQL_FILTER) or "") if isinstance(filters, dict) else ""
    if jql:
        try:
            compile_jql(app.store, jql, app.time_zone)
        except JqlError as error:
            raise bad_request(f"The JQL filter is not valid: {error}") from None
    secret = payload.get("secret")
    webhook = Webhook(
        id=webhook_id or app.store.next_id("webhook"), name=str(payload.get("name") or url),
        url=url, events=list(events), jql=jql, secret=str(secret) if secret else None,
        exclude_body=bool(payload.get("excludeBody", False)),
        enabled=bool(payload.get("enabled", True)), updated=app.store.now_ms(),
        updated_by=app.store.me)
    app.store.webhooks[webhook.id] = webhook
    return webhook


def webhook_json(app: JiraApp, webhook: Webhook) -> Json:
    """A webhook as the admin resource answers it (the secret is never read back)."""
    user = app.store.users.get(webhook.updated_by)
    return {"self": f"{app.base_url}{BASE}/{webhook.id}", "name": webhook.name,
            "url": webhook.url, "events": webhook.events,
            "filters": {_JQL_FILTER: webhook.jql}, "excludeBody": webhook.exclude_body,
            "enabled": webhook.enabled, "lastUpdated": webhook.updated,
            "lastUpdatedUser": user.key if user else None,
            "lastUpdatedDisplayName": user.display_name if user else None}


def _admin_only(app: JiraApp) -> None:
    if app.store.current_user.email != API_USER:
        raise ApiError(403, ["You are not authorised to perform this action. Jira "
                             "administrators only."])


def _webhook(app: JiraApp, req: Request) -> Webhook:
    ident = req.params["id"]
    found = app.store.webhooks.get(int(ident)) if ident.isdigit() else None
    if found is None:
        raise ApiError(404, [f"Webhook with id {ident} does not exist."])
    return found


def list_webhooks(app: JiraApp, req: Request) -> Reply:
    """Every admin webhook (administrators only)."""
    _admin_only(app)
    return Reply(body=[webhook_json(app, w) for w in app.store.webhooks.values()])


def create_webhook(app: JiraApp, req: Request) -> Reply:
    """Register an admin webhook: name, url, events, filters, excludeBody, secret."""
    _admin_only(app)
    return Reply(201, webhook_json(app, register(app, json_object(req))))


def get_webhook(app: JiraApp, req: Request) -> Reply:
    """One admin webhook."""
    _admin_only(app)
    return Reply(body=webhook_json(app, _webhook(app, req)))


def update_webhook(app: JiraApp, req: Request) -> Reply:
    """Replace an admin webhook's settings."""
    _admin_only(app)
    old = _webhook(app, req)
    payload = {"secret": old.secret, **json_object(req)}
    return Reply(body=webhook_json(app, register(app, payload, webhook_id=old.id)))


def delete_webhook(app: JiraApp, req: Request) -> Reply:
    """Remove an admin webhook."""
    _admin_only(app)
    del app.store.webhooks[_webhook(app, req).id]
    return Reply(204)


def control_register(app: JiraApp, req: Request) -> Reply:
    """{"url", "secret", "events", "jql"}: register a webhook without the admin resource."""
    payload = json_object(req)
    payload.setdefault("filters", {_JQL_FILTER: payload.pop("jql", "")})
    return Reply(201, webhook_json(app, register(app, payload)))


# -- delivery -----------------------------------------------------------------------------------


def publish(app: JiraApp) -> None:
    """Send the changes of the request just served to every webhook that wants them."""
    events, app.store.events = app.store.events, []
    for event in events:
        issue = app.store.issues.get(event.issue_id)
        if issue is None:
            continue
        for webhook in list(app.store.webhooks.values()):
            if webhook.enabled and event.name in webhook.events and _matches(app, webhook,
                                                                              issue):
                _deliver(app, webhook, event, issue)


def _matches(app: JiraApp, webhook: Webhook, issue: Issue) -> bool:
    if not webhook.jql:
        return True
    try:
        plan = compile_jql(app.store, webhook.jql, app.time_zone).plan
    except JqlError:
        return False  # a filter that stopped compiling (a status renamed away) matches nothing
    return plan is None or plan.matches(issue)


def _deliver(app: JiraApp, webhook: Webhook, event: Event, issue: Issue) -> None:
    body = b"" if webhook.exclude_body else json.dumps(
        payload(app, event, issue), separators=(",", ":")).encode()
    headers: dict[str, str] = {}
    if webhook.secret:
        digest = hmac.new(webhook.secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature"] = f"sha256={digest}"
    if app.flavor == "cloud":
        headers["X-Atlassian-Webhook-Identifier"] = str(uuid.uuid4())
        headers["X-Atlassian-Webhook-Flow"] = "Primary"
    app.webhooks.send(webhook.url, event.name, body, headers)


def payload(app: JiraApp, event: Event, issue: Issue) -> Json:
    """The JSON body Jira posts for `event`, in REST v2 shapes."""
    r = Renderer(app.store, app.base_url, "2")
    actor = app.store.users.get(event.actor)
    out: Json = {"timestamp": event.at, "webhookEvent": event.name,
                 "user": r.user(actor) if actor else None}
    if event.name != "comment_created":
        out["issue_event_type_name"] = event.type_name
        view = IssueView(select_fields(None, "*navigable"), comment_cap=None)
        out["issue"] = render_issue(r, issue, view)
    else:
        out["issue"] = {"id": str(issue.id), "self": f"{r.api}/issue/{issue.id}",
                        "key": issue.key, "fields": {"summary": issue.summary}}
    if event.history is not None:
        out["changelog"] = {"id": str(event.history.id), "items": r.history(event.history)[
            "items"]}
    if event.comment is not None:
        out["comment"] = r.comment(issue, event.comment)
    return out


ROUTES = [
    Route("GET", BASE, list_webhooks),
    Route("POST", BASE, create_webhook),
    Route("GET", BASE + "/{id}", get_webhook),
    Route("PUT", BASE + "/{id}", update_webhook),
    Route("DELETE", BASE + "/{id}", delete_webhook),
]
CONTROL_ROUTES = [Route("POST", "/_sandbox/webhooks", control_register)]
