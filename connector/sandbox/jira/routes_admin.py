"""Routes for workflow administration: statuses, workflows, workflow schemes and their projects.

Cloud creates statuses and workflows over REST; Data Center only reads them (its writes are
404 or 405, as there), while workflow schemes are writable on both.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from connector.sandbox.jira import workflows
from connector.sandbox.jira.bootstrap import DEFAULT_WORKFLOW
from connector.sandbox.jira.errors import ApiError, bad_request
from connector.sandbox.jira.model import CLOUD, DC, Status, Workflow, WorkflowScheme
from connector.sandbox.jira.render import Json, Renderer
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp

_task_ids = itertools.count(10000)


def jira_status(status: Status) -> Json:
    return {"id": status.id, "name": status.name, "statusCategory": status.category,
            "scope": {"type": "GLOBAL"}, "description": status.description}


def workflow_json(r: Renderer, workflow: Workflow, *, transitions: bool = True) -> Json:
    out: Json = {
        "id": workflow.id, "name": workflow.name, "description": workflow.description,
        "scope": {"type": "GLOBAL"}, "isEditable": True,
        "startPointLayout": {"x": -100.0, "y": -150.0},
        "statuses": [{"statusReference": sid, "deprecated": False, "properties": {},
                      "layout": workflow.layouts.get(sid) or {"x": 0.0, "y": 0.0}}
                     for sid in workflow.statuses],
        "version": {"id": workflow.version_id, "versionNumber": workflow.version},
        "created": r.dt(workflow.created), "updated": r.dt(workflow.updated)}
    if transitions:
        out["transitions"] = [
            {"id": t.id, "name": t.name, "description": t.description, "type": t.kind,
             "toStatusReference": t.to_status, "actions": [], "validators": [],
             "triggers": [], "properties": {},
             "links": [{"fromStatusReference": f, "fromPort": 0, "toPort": 1}
                       for f in t.from_statuses]}
            for t in workflow.transitions]
    return out


def _workflow_statuses(app: JiraApp, found: list[Workflow]) -> list[Json]:
    used = dict.fromkeys(sid for w in found for sid in w.statuses)
    return [{**jira_status(app.store.statuses[sid]), "statusReference": sid} for sid in used]


def scheme_json(r: Renderer, scheme: WorkflowScheme) -> Json:
    return {"id": scheme.id, "name": scheme.name, "description": scheme.description,
            "defaultWorkflow": scheme.default_workflow,
            "issueTypeMappings": dict(scheme.mappings), "draft": False,
            "self": f"{r.api}/workflowscheme/{scheme.id}"}


def statuses_search(app: JiraApp, req: Request) -> Reply:
    found = list(app.store.statuses.values())
    if req.arg("projectId"):
        project = app.store.project(req.arg("projectId") or "")
        wanted = {sid for t in project.issuetype_ids
                  for sid in app.store.workflow_for(project.id, t).statuses}
        found = [s for s in found if s.id in wanted]
    text = (req.arg("searchString") or "").lower()
    category = req.arg("statusCategory")
    found = [s for s in found if text in s.name.lower()
             and (category is None or s.category == category)]
    start, size = req.int_arg("startAt", 0), req.int_arg("maxResults", 200)
    page = found[start:start + size]
    api = Renderer(app.store, app.base_url, req.version).api
    return Reply(body={"self": f"{api}/statuses/search", "startAt": start, "maxResults": size,
                       "total": len(found), "isLast": start + len(page) >= len(found),
                       "values": [jira_status(s) for s in page]})


def statuses_by_id(app: JiraApp, req: Request) -> Reply:
    ids = [i for value in req.args("id") for i in value.split(",")]
    return Reply(body=[jira_status(app.store.statuses[i]) for i in ids
                       if i in app.store.statuses])


def statuses_create(app: JiraApp, req: Request) -> Reply:
    created = workflows.create_statuses(app.store, req.json())
    return Reply(body=[jira_status(s) for s in created])


def workflows_create(app: JiraApp, req: Request) -> Reply:
    statuses, created = workflows.create_workflows(app.store, req.json())
    r = Renderer(app.store, app.base_url, req.version)
    return Reply(body={"statuses": [{**jira_status(s), "statusReference": s.id}
                                    for s in statuses],
                       "workflows": [workflow_json(r, w) for w in created]})


def workflows_search(app: JiraApp, req: Request) -> Reply:
    text = (req.arg("queryString") or "").lower()
    found = [w for w in app.store.workflows.values() if text in w.name.lower()]
    active = {app.store.schemes[p.scheme_id].workflow_for(t)
              for p in app.store.projects.values() for t in p.issuetype_ids}
    if req.arg("isActive") is not None:
        found = [w for w in found if (w.name in active) == req.bool_arg("isActive")]
    start, size = req.int_arg("startAt", 0), req.int_arg("maxResults", 50)
    page = found[start:start + size]
    r = Renderer(app.store, app.base_url, req.version)
    with_transitions = "values.transitions" in (req.arg("expand") or "")
    return Reply(body={
        "self": f"{r.api}/workflows/search", "startAt": start, "maxResults": size,
        "total": len(found), "isLast": start + len(page) >= len(found),
        "statuses": _workflow_statuses(app, page),
        "values": [workflow_json(r, w, transitions=with_transitions) for w in page]})


def workflows_read(app: JiraApp, req: Request) -> Reply:
    """`POST /workflows`: bulk get by names, ids, or project and issue type."""
    body: Any = req.json() or {}
    if not isinstance(body, dict):
        raise bad_request("The request must be a JSON object.")
    names = set(body.get("workflowNames") or [])
    ids = set(body.get("workflowIds") or [])
    for pair in body.get("projectAndIssueTypes") or []:
        project = app.store.project(str(pair.get("projectId")))
        names.add(app.store.workflow_for(project.id, str(pair.get("issueTypeId"))).name)
    found = [w for w in app.store.workflows.values() if w.name in names or w.id in ids]
    r = Renderer(app.store, app.base_url, req.version)
    return Reply(body={"statuses": _workflow_statuses(app, found),
                       "workflows": [workflow_json(r, w) for w in found]})


def dc_workflows(app: JiraApp, req: Request) -> Reply:
    """Data Center's read-only `GET /workflow` list."""
    r = Renderer(app.store, app.base_url, req.version)
    wanted = req.arg("workflowName")
    return Reply(body=[{"name": w.name, "description": w.description,
                        "lastModifiedDate": r.dt(w.updated),
                        "lastModifiedUser": app.store.current_user.name,
                        "steps": len(w.statuses), "default": w.name == DEFAULT_WORKFLOW}
                       for w in app.store.workflows.values()
                       if wanted is None or w.name == wanted])


def schemes_list(app: JiraApp, req: Request) -> Reply:
    r = Renderer(app.store, app.base_url, req.version)
    found = list(app.store.schemes.values())
    start, size = req.int_arg("startAt", 0), req.int_arg("maxResults", 50)
    page = found[start:start + size]
    return Reply(body={"self": f"{r.api}/workflowscheme", "startAt": start, "maxResults": size,
                       "total": len(found), "isLast": start + len(page) >= len(found),
                       "values": [scheme_json(r, s) for s in page]})


def _scheme(app: JiraApp, ident: str) -> WorkflowScheme:
    scheme = app.store.schemes.get(int(ident)) if ident.isdigit() else None
    if scheme is None:
        raise ApiError(404, ["The workflow scheme was not found."])
    return scheme


def scheme_get(app: JiraApp, req: Request) -> Reply:
    r = Renderer(app.store, app.base_url, req.version)
    return Reply(body=scheme_json(r, _scheme(app, req.params["id"])))


def scheme_create(app: JiraApp, req: Request) -> Reply:
    scheme = workflows.create_scheme(app.store, req.json(), DEFAULT_WORKFLOW)
    return Reply(201, scheme_json(Renderer(app.store, app.base_url, req.version), scheme))


def scheme_update(app: JiraApp, req: Request) -> Reply:
    scheme = _scheme(app, req.params["id"])
    payload = req.json()
    if not isinstance(payload, dict):
        raise bad_request("The request must be a JSON object.")
    if workflows.scheme_in_use(app.store, scheme.id):
        raise bad_request("The workflow scheme is used by a project with issues; switch the "
                          "project to another scheme instead of editing this one.")
    workflows.apply_scheme_fields(app.store, scheme, payload)
    return Reply(body=scheme_json(Renderer(app.store, app.base_url, req.version), scheme))


def scheme_projects(app: JiraApp, req: Request) -> Reply:
    r = Renderer(app.store, app.base_url, req.version)
    wanted = [i for value in req.args("projectId") for i in value.split(",")]
    if not wanted:
        raise bad_request("projectId is required.")
    by_scheme: dict[int, list[str]] = {}
    for ident in wanted:
        project = app.store.project(ident)
        by_scheme.setdefault(project.scheme_id, []).append(str(project.id))
    return Reply(body={"values": [{"projectIds": ids,
                                   "workflowScheme": scheme_json(r, app.store.schemes[sid])}
                                  for sid, ids in by_scheme.items()]})


def scheme_assign(app: JiraApp, req: Request) -> Reply:
    workflows.assign_scheme(app.store, req.json())
    return Reply(204)


def scheme_switch(app: JiraApp, req: Request) -> Reply:
    """Done synchronously; answers 303 to a task that is already COMPLETE, as Jira's async API."""
    moved = workflows.switch_scheme(app.store, req.json())
    task_id = str(next(_task_ids))
    r = Renderer(app.store, app.base_url, req.version)
    now = app.store.now_ms()
    task = {"self": f"{r.api}/task/{task_id}", "id": task_id,
            "description": "Switch workflow scheme", "status": "COMPLETE",
            "message": f"{moved} issues migrated", "result": {"issuesMigrated": moved},
            "submittedBy": 10000, "progress": 100, "elapsedRuntime": 0, "submitted": now,
            "started": now, "finished": now, "lastUpdate": now}
    app.store.tasks[task_id] = task
    return Reply(303, task, headers={"Location": str(task["self"])})


def task_get(app: JiraApp, req: Request) -> Reply:
    task = app.store.tasks.get(req.params["id"])
    if task is None:
        raise ApiError(404, [f"The task with id '{req.params['id']}' does not exist."])
    return Reply(body=task)


ROUTES = [
    Route("GET", "/rest/api/{v}/statuses/search", statuses_search, CLOUD),
    Route("GET", "/rest/api/{v}/statuses", statuses_by_id, CLOUD),
    Route("POST", "/rest/api/{v}/statuses", statuses_create, CLOUD),
    Route("POST", "/rest/api/{v}/workflows/create", workflows_create, CLOUD),
    Route("GET", "/rest/api/{v}/workflows/search", workflows_search, CLOUD),
    Route("POST", "/rest/api/{v}/workflows", workflows_read, CLOUD, read=True),
    Route("GET", "/rest/api/{v}/workflow", dc_workflows, DC),
    Route("GET", "/rest/api/{v}/workflowscheme", schemes_list),
    Route("POST", "/rest/api/{v}/workflowscheme", scheme_create),
    Route("GET", "/rest/api/{v}/workflowscheme/project", scheme_projects, CLOUD),
    Route("PUT", "/rest/api/{v}/workflowscheme/project", scheme_assign, CLOUD),
    Route("POST", "/rest/api/{v}/workflowscheme/project/switch", scheme_switch, CLOUD),
    Route("GET", "/rest/api/{v}/workflowscheme/{id}", scheme_get),
    Route("PUT", "/rest/api/{v}/workflowscheme/{id}", scheme_update),
    Route("GET", "/rest/api/{v}/task/{id}", task_get, CLOUD),
]
