"""Routes for one issue: create, get, edit, delete, transitions, assignee, notify, links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.sandbox.clock import iso
from connector.sandbox.jira.errors import bad_request
from connector.sandbox.jira.issue_view import IssueView, parse_csv, render_issue, select_fields
from connector.sandbox.jira.issues import IssueWriter
from connector.sandbox.jira.model import Issue
from connector.sandbox.jira.render import Json, Renderer
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp

# Cloud's `GET /issue?expand=changelog` gives the most recent histories first, truncated;
# the full history is at /issue/{key}/changelog. Data Center embeds all of it, oldest first.
CLOUD_ISSUE_CHANGELOG_CAP = 100


def issue_view(app: JiraApp, req: Request, *, default_fields: str) -> IssueView:
    """Read `fields`, `expand` and `properties` the way GET issue and the searches share."""
    cloud = app.flavor == "cloud"
    return IssueView(fields=select_fields(req.args("fields") or None, default_fields),
                     expand=frozenset(parse_csv(req.args("expand"))),
                     properties=tuple(parse_csv(req.args("properties"))),
                     changelog_cap=CLOUD_ISSUE_CHANGELOG_CAP if cloud else None,
                     newest_first=cloud)


def transitions_of(app: JiraApp, r: Renderer, issue: Issue, *, with_fields: bool = False
                   ) -> list[Json]:
    workflow = app.store.workflow_for(issue.project_id, issue.issuetype_id)
    return [r.transition(t, issue.status_id, with_fields=with_fields)
            for t in workflow.allowed_from(issue.status_id)]


def create(app: JiraApp, req: Request) -> Reply:
    issue = IssueWriter(app.store, req.version).create(req.json())
    r = Renderer(app.store, app.base_url, req.version)
    return Reply(201, {"id": str(issue.id), "key": issue.key, "self": f"{r.api}/issue/{issue.id}"})


def get(app: JiraApp, req: Request) -> Reply:
    issue = app.store.issue(req.params["key"])
    r = Renderer(app.store, app.base_url, req.version)
    view = issue_view(app, req, default_fields="*all")
    return Reply(body=render_issue(r, issue, view, lambda i: transitions_of(app, r, i)))


def edit(app: JiraApp, req: Request) -> Reply:
    issue = app.store.issue(req.params["key"])
    IssueWriter(app.store, req.version).edit(issue, req.json())
    if req.bool_arg("returnIssue"):
        return get(app, req)
    return Reply(204)


def delete(app: JiraApp, req: Request) -> Reply:
    app.store.remove_issue(app.store.issue(req.params["key"]))
    return Reply(204)


def transitions(app: JiraApp, req: Request) -> Reply:
    """Only the transitions the workflow allows from the issue's current status."""
    issue = app.store.issue(req.params["key"])
    r = Renderer(app.store, app.base_url, req.version)
    found = transitions_of(app, r, issue,
                           with_fields="transitions.fields" in parse_csv(req.args("expand")))
    wanted = req.arg("transitionId")
    if wanted is not None:
        found = [t for t in found if t["id"] == wanted]  # unknown id: empty list, no error
    return Reply(body={"expand": "transitions", "transitions": found})


def do_transition(app: JiraApp, req: Request) -> Reply:
    issue = app.store.issue(req.params["key"])
    IssueWriter(app.store, req.version).transition(issue, req.json())
    return Reply(204)


def assign(app: JiraApp, req: Request) -> Reply:
    issue = app.store.issue(req.params["key"])
    IssueWriter(app.store, req.version).assign(issue, req.json())
    return Reply(204)


def notify(app: JiraApp, req: Request) -> Reply:
    """Recorded, not sent; read them back from `GET /_sandbox/notifications`."""
    issue = app.store.issue(req.params["key"])
    payload: Any = req.json()
    if not isinstance(payload, dict):
        raise bad_request("The notification must be a JSON object.")
    app.store.notifications.append({
        "issueKey": issue.key, "issueId": str(issue.id), "at": iso(app.clock.now()),
        "subject": payload.get("subject"), "textBody": payload.get("textBody"),
        "htmlBody": payload.get("htmlBody"), "to": payload.get("to"),
        "restrict": payload.get("restrict")})
    return Reply(204)


def link(app: JiraApp, req: Request) -> Reply:
    IssueWriter(app.store, req.version).link(req.json())
    return Reply(201)


ISSUE = "/rest/api/{v}/issue/{key}"
ROUTES = [
    Route("POST", "/rest/api/{v}/issue", create),
    Route("GET", ISSUE, get),
    Route("PUT", ISSUE, edit),
    Route("DELETE", ISSUE, delete),
    Route("GET", ISSUE + "/transitions", transitions),
    Route("POST", ISSUE + "/transitions", do_transition),
    Route("PUT", ISSUE + "/assignee", assign),
    Route("POST", ISSUE + "/notify", notify),
    Route("POST", "/rest/api/{v}/issueLink", link),
]
