"""Workflows: installing ticketflow's scheme on Cloud, enforcing transitions, DC's admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import Api

API = "/rest/api/3"
# ticketflow's workflow: (name, from, to); "Create" is the initial transition.
EDGES = [("Review", "Pending", "Reviewing"), ("Solve", "Reviewing", "Done"),
         ("Start", "Reviewing", "In Progress"), ("Escalate", "Reviewing", "Assigned"),
         ("Pick up", "Assigned", "In Progress"), ("Escalate again", "Assigned", "Assigned"),
         ("Hand over", "In Progress", "Assigned"), ("Finish", "In Progress", "Done"),
         ("Reopen", "Done", "Reviewing")]


def install(api: Api) -> dict[str, str]:
    """What `ticketflow install-scheme` does; returns status name -> id."""
    created = api.post(f"{API}/statuses", {"scope": {"type": "GLOBAL"}, "statuses": [
        {"name": "Pending", "statusCategory": "TODO"},
        {"name": "Assigned", "statusCategory": "TODO"}]})
    assert created.status == 200, created.body
    ids = {s["name"]: s["id"] for s in created.body}
    ids.update({"In Progress": "10002", "Done": "10003"})
    statuses = [{"id": sid, "name": name, "statusReference": sid,
                 "statusCategory": "TODO"} for name, sid in ids.items()]
    statuses.append({"name": "Reviewing", "statusCategory": "IN_PROGRESS",
                     "statusReference": "ref-reviewing"})
    ids["Reviewing"] = "ref-reviewing"
    transitions: list[dict[str, Any]] = [
        {"type": "INITIAL", "name": "Create", "toStatusReference": ids["Pending"]}]
    transitions += [{"type": "DIRECTED", "name": name, "toStatusReference": ids[to],
                     "links": [{"fromStatusReference": ids[source]}]}
                    for name, source, to in EDGES]
    answer = api.post(f"{API}/workflows/create", {"scope": {"type": "GLOBAL"},
                                                  "statuses": statuses, "workflows": [{
        "name": "ticketflow", "statuses": [{"statusReference": r, "properties": {}}
                                           for r in ids.values()],
        "transitions": transitions}]})
    assert answer.status == 200, answer.body
    ids["Reviewing"] = next(s["id"] for s in answer.body["statuses"] if s["name"] == "Reviewing")
    scheme = api.post(f"{API}/workflowscheme", {"name": "ticketflow scheme",
                                                "defaultWorkflow": "ticketflow"})
    assert scheme.status == 201, scheme.body
    ids["scheme"] = str(scheme.body["id"])
    return ids


def names(api: Api, key: str) -> list[str]:
    return [t["name"] for t in api.get(f"{API}/issue/{key}/transitions").body["transitions"]]


def test_installed_workflow_drives_transitions(api: Api) -> None:
    """After assigning the scheme, issues start Pending and move only along its edges."""
    ids = install(api)
    assert api.put(f"{API}/workflowscheme/project", {
        "projectId": "10000", "workflowSchemeId": ids["scheme"]}).status == 204
    key = api.create()
    assert api.get(f"{API}/issue/{key}").body["fields"]["status"]["name"] == "Pending"
    assert names(api, key) == ["Review"]
    refused = api.post(f"{API}/issue/{key}/transitions", {"transition": {"id": "31"}})
    assert refused.status == 400
    assert refused.body == {"errorMessages": ["Transition id '31' is not valid for this issue."],
                            "errors": {}}
    review = api.get(f"{API}/issue/{key}/transitions").body["transitions"][0]
    assert api.post(f"{API}/issue/{key}/transitions",
                    {"transition": {"id": review["id"]}}).status == 204
    assert names(api, key) == ["Solve", "Start", "Escalate"]
    escalate = next(t for t in api.get(f"{API}/issue/{key}/transitions").body["transitions"]
                    if t["name"] == "Escalate")
    api.post(f"{API}/issue/{key}/transitions", {"transition": {"id": escalate["id"]}})
    looped = api.get(f"{API}/issue/{key}/transitions").body["transitions"]
    assert [(t["name"], t["isLooped"]) for t in looped] == [("Pick up", False),
                                                            ("Escalate again", True)]


def test_assigning_a_scheme_is_refused_once_the_project_has_issues(api: Api) -> None:
    """PUT /workflowscheme/project only works on an empty project, as on Cloud."""
    ids = install(api)
    api.create()
    answer = api.put(f"{API}/workflowscheme/project",
                     {"projectId": "10000", "workflowSchemeId": ids["scheme"]})
    assert answer.status == 400
    assert "has issues" in answer.body["errorMessages"][0]
    associated = api.get(f"{API}/workflowscheme/project", projectId="10000").body
    assert associated["values"][0]["workflowScheme"]["id"] == 10000


def test_switch_moves_existing_issues_by_the_mapping(api: Api) -> None:
    """The switch needs a mapping for statuses the new workflow lacks, then moves the issues."""
    ids = install(api)
    todo = api.create()
    done = api.create()
    api.post(f"{API}/issue/{done}/transitions", {"transition": {"id": "31"}})
    request = {"projectId": "10000", "targetSchemeId": ids["scheme"]}
    missing = api.post(f"{API}/workflowscheme/project/switch", request)
    assert missing.status == 400
    assert "10001 (To Do)" in missing.body["errorMessages"][0]
    mapping = {"issueTypeId": "10004", "statusMappings": [
        {"oldStatusId": "10001", "newStatusId": ids["Pending"]}]}
    switched = api.post(f"{API}/workflowscheme/project/switch",
                        {**request, "mappingsByIssueTypeOverride": [mapping]})
    assert switched.status == 303
    assert switched.headers["Location"].endswith(f"/task/{switched.body['id']}")
    assert api.get(f"{API}/issue/{todo}").body["fields"]["status"]["name"] == "Pending"
    assert api.get(f"{API}/issue/{done}").body["fields"]["status"]["name"] == "Done"
    log = api.get(f"{API}/issue/{todo}/changelog").body["values"]
    assert log[-1]["items"][0]["toString"] == "Pending"


def test_installer_can_see_what_exists(api: Api) -> None:
    """Statuses search, workflow search and bulk read show what an installer created."""
    install(api)
    found = api.get(f"{API}/statuses/search", searchString="pend").body
    assert [s["name"] for s in found["values"]] == ["Pending"]
    workflows = api.get(f"{API}/workflows/search", queryString="ticket",
                        expand="values.transitions").body
    assert [w["name"] for w in workflows["values"]] == ["ticketflow"]
    assert len(workflows["values"][0]["transitions"]) == 10
    read = api.post(f"{API}/workflows", {"workflowNames": ["ticketflow"]}).body
    assert {s["name"] for s in read["statuses"]} == {"Pending", "Reviewing", "Assigned",
                                                     "In Progress", "Done"}
    project_statuses = api.get(f"{API}/statuses/search", projectId="10000").body
    assert [s["name"] for s in project_statuses["values"]] == ["To Do", "In Progress", "Done"]


@pytest.mark.parametrize(("body", "message"), [
    ({"scope": {"type": "GLOBAL"}, "statuses": [{"name": "Done", "statusCategory": "DONE"}]},
     "A status with the name 'Done' already exists."),
    ({"scope": {"type": "GLOBAL"}, "statuses": [{"name": "X", "statusCategory": "LATER"}]},
     "statusCategory"),
])
def test_status_creation_is_validated(api: Api, body: dict[str, Any], message: str) -> None:
    """Duplicate names and unknown categories are refused with 400."""
    answer = api.post(f"{API}/statuses", body)
    assert answer.status == 400
    assert message in answer.body["errorMessages"][0]


def test_workflow_creation_is_validated(api: Api) -> None:
    """No initial transition, an unknown status reference or a taken name: 400, nothing made."""
    base = {"name": "w", "statuses": [{"statusReference": "10001", "properties": {}}]}
    no_initial = api.post(f"{API}/workflows/create", {"workflows": [{**base, "transitions": []}]})
    assert "INITIAL" in no_initial.body["errorMessages"][0]
    unknown = api.post(f"{API}/workflows/create", {"workflows": [{
        **base, "statuses": [{"statusReference": "nope", "properties": {}}],
        "transitions": []}]})
    assert unknown.status == 400
    taken = api.post(f"{API}/workflows/create", {"workflows": [{
        **base, "name": "HELP: Default workflow", "transitions": []}]})
    assert "already exists" in taken.body["errorMessages"][0]
    assert len(api.get(f"{API}/workflows/search").body["values"]) == 1


def test_transitions_cannot_set_fields_but_may_comment(api: Api) -> None:
    """Without a transition screen Jira refuses fields; a comment may ride along."""
    key = api.create()
    refused = api.post(f"{API}/issue/{key}/transitions", {
        "transition": {"id": "31"}, "fields": {"resolution": {"name": "Done"}}})
    assert refused.body["errors"] == {"resolution": "Field 'resolution' cannot be set. It is not "
                                                    "on the appropriate screen, or unknown."}
    comment = {"type": "doc", "version": 1, "content": []}
    done = api.post(f"{API}/issue/{key}/transitions", {
        "transition": {"id": "31"}, "fields": {},
        "update": {"comment": [{"add": {"body": comment}}]}})
    assert done.status == 204
    issue = api.get(f"{API}/issue/{key}").body["fields"]
    assert issue["status"]["name"] == "Done" and issue["resolution"]["name"] == "Done"
    assert issue["comment"]["total"] == 1
    api.post(f"{API}/issue/{key}/transitions", {"transition": {"id": "11"}})
    assert api.get(f"{API}/issue/{key}").body["fields"]["resolution"] is None


@pytest.mark.parametrize(("method", "path", "status"), [
    ("POST", "/rest/api/2/status", 405), ("POST", "/rest/api/2/statuses", 404),
    ("POST", "/rest/api/2/workflows/create", 404), ("POST", "/rest/api/2/workflow", 405),
    ("PUT", "/rest/api/2/workflowscheme/project", 404)])
def test_datacenter_statuses_and_workflows_are_read_only(dc_api: Api, method: str, path: str,
                                                         status: int) -> None:
    """On Data Center, status and workflow writes do not exist over REST."""
    assert dc_api.call(method, path, {"name": "x"}).status == status


def test_datacenter_reads_statuses_and_workflows_and_writes_schemes(dc_api: Api) -> None:
    """DC lists statuses and workflows, and accepts new workflow schemes."""
    statuses = dc_api.get("/rest/api/2/status").body
    assert [s["name"] for s in statuses] == ["To Do", "In Progress", "Done"]
    workflows = dc_api.get("/rest/api/2/workflow").body
    assert workflows[0]["name"] == "HELP: Default workflow" and workflows[0]["default"]
    scheme = dc_api.post("/rest/api/2/workflowscheme", {
        "name": "Ours", "defaultWorkflow": "HELP: Default workflow"})
    assert scheme.status == 201
    assert dc_api.get(f"/rest/api/2/workflowscheme/{scheme.body['id']}").body["name"] == "Ours"
