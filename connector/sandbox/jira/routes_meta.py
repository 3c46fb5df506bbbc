"""Routes for the instance and its catalogue: serverInfo, myself, users, projects, fields, types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.sandbox.jira.errors import ApiError, bad_request, field_error
from connector.sandbox.jira.model import (
    CLOUD,
    FIELDS,
    ISSUE_TYPES,
    LINK_TYPES,
    RESOLUTIONS,
    Component,
    User,
)
from connector.sandbox.jira.render import Renderer
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp


def _r(app: JiraApp, req: Request) -> Renderer:
    return Renderer(app.store, app.base_url, req.version)


def server_info(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    now = r.dt(app.store.now_ms())
    cloud = app.flavor == "cloud"
    version = [1001, 0, 0] if cloud else [10, 3, 5]
    return Reply(body={
        "baseUrl": app.base_url, "displayUrl": app.base_url,
        "version": "1001.0.0-SNAPSHOT" if cloud else "10.3.5", "versionNumbers": version,
        "deploymentType": "Cloud" if cloud else "Server",
        "buildNumber": 100289 if cloud else 10030005,
        "buildDate": "2026-01-15T00:00:00.000+0000", "serverTime": now,
        "scmInfo": "sandbox", "serverTitle": "Jira sandbox",
        "serverTimeZone": app.time_zone})


def myself(app: JiraApp, req: Request) -> Reply:
    return Reply(body=_r(app, req).user(app.store.current_user, full=True))


def _matching_users(app: JiraApp, req: Request, *, username_required: bool) -> list[User]:
    """Cloud finds users by `query` (or `accountId`); Data Center by `username`."""
    if app.flavor == "cloud":
        query, account = req.arg("query"), req.arg("accountId")
        if query is None and account is None:
            raise bad_request("One of 'query' or 'accountId' query parameters must be provided.")
        if account:
            return [u for u in app.store.users.values() if u.account_id == account]
        return app.store.search_users(query or "")
    username = req.arg("username")
    if username is None and username_required:
        raise bad_request("The username query parameter was not provided")
    return app.store.search_users(username or "")


def _page(app: JiraApp, req: Request, users: list[User]) -> Reply:
    start, size = req.int_arg("startAt", 0), req.int_arg("maxResults", 50)
    r = _r(app, req)
    return Reply(body=[r.user(u) for u in users[start:start + size]])


def user_search(app: JiraApp, req: Request) -> Reply:
    """Users by `query` or `accountId` (Cloud), by `username` (Data Center)."""
    return _page(app, req, _matching_users(app, req, username_required=True))


def user_assignable(app: JiraApp, req: Request) -> Reply:
    """Users who may be assigned issues of a `project` (or of an `issueKey`/`issueId`).

    A user who exists but lacks the project's Assignable User permission is left out, as
    Jira does (the plain user search still finds them).
    """
    ref = req.arg("issueKey") or req.arg("issueId")
    if ref:
        project = app.store.projects[app.store.issue(ref).project_id]
    elif req.arg("project"):
        project = app.store.project(req.arg("project") or "")
    else:
        raise bad_request("One of 'project', 'issueKey' or 'issueId' query parameters must be "
                          "provided.")
    users = _matching_users(app, req, username_required=False)
    return _page(app, req, [u for u in users
                            if u.active and u.account_id not in project.unassignable])


def user_get(app: JiraApp, req: Request) -> Reply:
    ident = req.arg("accountId") or req.arg("username") or req.arg("key") or ""
    user = app.store.find_user(ident)
    if user is None:
        raise ApiError(404, [f"The user with the identifier '{ident}' does not exist."])
    return Reply(body=_r(app, req).user(user, full=True))


def projects(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    return Reply(body=[r.project(p, full=True) for p in app.store.projects.values()])


def project_search(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    found = [r.project(p, full=True) for p in app.store.projects.values()]
    start, size = req.int_arg("startAt", 0), req.int_arg("maxResults", 50)
    page = found[start:start + size]
    return Reply(body={"self": f"{r.api}/project/search", "maxResults": size, "startAt": start,
                       "total": len(found), "isLast": start + len(page) >= len(found),
                       "values": page})


def project_get(app: JiraApp, req: Request) -> Reply:
    project = app.store.project(req.params["project"])
    return Reply(body=_r(app, req).project(project, full=True))


def project_components(app: JiraApp, req: Request) -> Reply:
    project = app.store.project(req.params["project"])
    r = _r(app, req)
    return Reply(body=[r.component(c, full=True) for c in app.store.components_of(project.id)])


def project_statuses(app: JiraApp, req: Request) -> Reply:
    """Per issue type, the statuses of the workflow it uses."""
    project = app.store.project(req.params["project"])
    r = _r(app, req)
    out = []
    for type_id in project.issuetype_ids:
        workflow = app.store.workflow_for(project.id, type_id)
        meta = r.issuetype(type_id)
        out.append({"self": meta["self"], "id": type_id, "name": meta["name"],
                    "subtask": meta["subtask"],
                    "statuses": [r.status(app.store.statuses[s]) for s in workflow.statuses]})
    return Reply(body=out)


def component_create(app: JiraApp, req: Request) -> Reply:
    payload: Any = req.json()
    if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
        raise field_error("name", "The component name must be specified.")
    ref = payload.get("projectId") or payload.get("project")
    if ref is None:
        raise field_error("project", "The project must be specified.")
    project = app.store.project(str(ref))
    if any(c.name.lower() == payload["name"].lower()
           for c in app.store.components_of(project.id)):
        raise field_error("name", f"A component with the name {payload['name']} already "
                                  "exists in this project.")
    component = Component(app.store.next_id("component"), payload["name"], project.id,
                          str(payload.get("description") or ""))
    app.store.components[component.id] = component
    app.store.version += 1
    return Reply(201, _r(app, req).component(component, full=True))


def component_get(app: JiraApp, req: Request) -> Reply:
    ident = req.params["id"]
    component = app.store.components.get(int(ident)) if ident.isdigit() else None
    if component is None:
        raise ApiError(404, [f"The component with id {ident} does not exist."])
    return Reply(body=_r(app, req).component(component, full=True))


def fields(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    return Reply(body=[r.field(f) for f in FIELDS])


def issue_types(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    return Reply(body=[r.issuetype(str(t["id"])) for t in ISSUE_TYPES])


def resolutions(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    return Reply(body=[r.resolution(rid) for rid, _, _ in RESOLUTIONS])


def statuses_legacy(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    return Reply(body=[r.status(s) for s in app.store.statuses.values()])


def status_get(app: JiraApp, req: Request) -> Reply:
    ident = req.params["status"]
    status = app.store.statuses.get(ident) or app.store.status_by_name(ident)
    if status is None:
        raise ApiError(404, [f"The status with id '{ident}' does not exist."])
    return Reply(body=_r(app, req).status(status))


def link_types(app: JiraApp, req: Request) -> Reply:
    r = _r(app, req)
    return Reply(body={"issueLinkTypes": [
        {"id": tid, "name": name, "inward": inward, "outward": outward,
         "self": f"{r.api}/issueLinkType/{tid}"}
        for name, (tid, outward, inward) in LINK_TYPES.items()]})


ROUTES = [
    Route("GET", "/rest/api/{v}/serverInfo", server_info),
    Route("GET", "/rest/api/{v}/myself", myself),
    Route("GET", "/rest/api/{v}/user/search", user_search),
    Route("GET", "/rest/api/{v}/user/assignable/search", user_assignable),
    Route("GET", "/rest/api/{v}/user", user_get),
    Route("GET", "/rest/api/{v}/project", projects),
    Route("GET", "/rest/api/{v}/project/search", project_search, CLOUD),
    Route("GET", "/rest/api/{v}/project/{project}", project_get),
    Route("GET", "/rest/api/{v}/project/{project}/components", project_components),
    Route("GET", "/rest/api/{v}/project/{project}/statuses", project_statuses),
    Route("POST", "/rest/api/{v}/component", component_create),
    Route("GET", "/rest/api/{v}/component/{id}", component_get),
    Route("GET", "/rest/api/{v}/field", fields),
    Route("GET", "/rest/api/{v}/issuetype", issue_types),
    Route("GET", "/rest/api/{v}/resolution", resolutions),
    Route("GET", "/rest/api/{v}/status", statuses_legacy),
    Route("GET", "/rest/api/{v}/status/{status}", status_get),
    Route("GET", "/rest/api/{v}/issueLinkType", link_types),
]
