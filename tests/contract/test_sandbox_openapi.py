"""The Cloud sandbox answers the operations ticketflow uses as Atlassian's OpenAPI document says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector.sandbox import Sandbox

API = "/rest/api/3"


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


@pytest.fixture(scope="module")
def issue_key(cloud: Sandbox, http: requests.Session) -> str:
    """One issue with a history, comments, an attachment, a property and a link."""
    base = cloud.url + API
    http.post(f"{base}/component", json={"name": "Access", "project": "HELP"}).raise_for_status()
    created = http.post(f"{base}/issue", json={"fields": {
        "project": {"key": "HELP"}, "issuetype": {"name": "Service Request"},
        "summary": "Cannot log in", "description": adf("Locked out since Monday."),
        "labels": ["tier-1"], "components": [{"name": "Access"}],
        "customfield_10071": 1, "customfield_10072": "pat@example.org"}})
    created.raise_for_status()
    key = created.json()["key"]
    other = http.post(f"{base}/issue", json={"fields": {
        "project": {"key": "HELP"}, "issuetype": {"id": "10004"}, "summary": "Related"}})
    http.post(f"{base}/issue/{key}/transitions", json={"transition": {"id": "21"}})
    http.put(f"{base}/issue/{key}/assignee", json={"accountId": _account(http, base, "alice")})
    http.post(f"{base}/issue/{key}/comment", json={
        "body": adf("internal"), "properties": [
            {"key": "sd.public.comment", "value": {"internal": True}}]}).raise_for_status()
    http.post(f"{base}/issue/{key}/attachments", files={"file": ("log.txt", b"hello")},
              headers={"X-Atlassian-Token": "no-check"}).raise_for_status()
    http.put(f"{base}/issue/{key}/properties/ticketflow.mail",
             json={"messageId": "<a@b>"}).raise_for_status()
    http.post(f"{base}/issueLink", json={"type": {"name": "Relates"}, "inwardIssue": {
        "key": key}, "outwardIssue": {"key": other.json()["key"]}}).raise_for_status()
    return key


def _account(http: requests.Session, base: str, query: str) -> str:
    return str(http.get(f"{base}/user/search", params={"query": query}).json()[0]["accountId"])


def test_instance_and_user_endpoints(cloud: Sandbox, http: requests.Session,
                                     check_response: Any) -> None:
    """serverInfo, myself, user search and user get match their schemas."""
    base = cloud.url + API
    info = check_response(http.get(f"{base}/serverInfo"), "GET", f"{API}/serverInfo")
    assert info["deploymentType"] == "Cloud"
    me = check_response(http.get(f"{base}/myself"), "GET", f"{API}/myself")
    assert me["timeZone"] == "America/Chicago"
    found = check_response(http.get(f"{base}/user/search", params={"query": "bob"}),
                           "GET", f"{API}/user/search")
    assert [u["emailAddress"] for u in found] == ["bob@example.edu"]
    check_response(http.get(f"{base}/user", params={"accountId": found[0]["accountId"]}),
                   "GET", f"{API}/user")


@pytest.mark.parametrize(("path", "spec_path"), [
    ("/project", "/project"),
    ("/project/HELP", "/project/{projectIdOrKey}"),
    ("/project/search", "/project/search"),
    ("/project/HELP/components", "/project/{projectIdOrKey}/components"),
    ("/project/HELP/statuses", "/project/{projectIdOrKey}/statuses"),
    ("/field", "/field"),
    ("/issuetype", "/issuetype"),
    ("/status", "/status"),
    ("/status/10001", "/status/{idOrName}"),
    ("/resolution", "/resolution"),
    ("/issueLinkType", "/issueLinkType"),
    ("/statuses/search", "/statuses/search"),
    ("/statuses?id=10001&id=10002", "/statuses"),
    ("/workflows/search", "/workflows/search"),
    ("/workflows/search?expand=values.transitions", "/workflows/search"),
    ("/workflowscheme", "/workflowscheme"),
    ("/workflowscheme/10000", "/workflowscheme/{id}"),
    ("/workflowscheme/project?projectId=10000", "/workflowscheme/project"),
])
def test_catalogue_reads(cloud: Sandbox, http: requests.Session, check_response: Any,
                         path: str, spec_path: str) -> None:
    """Project, field, type, status and workflow reads match their schemas."""
    check_response(http.get(cloud.url + API + path), "GET", API + spec_path)


@pytest.fixture
def fresh() -> Iterator[tuple[Sandbox, requests.Session]]:
    with Sandbox("cloud") as sandbox, requests.Session() as session:
        session.headers.update(sandbox.auth_headers())
        yield sandbox, session


def test_scheme_installation_responses(fresh: tuple[Sandbox, requests.Session],
                                       check_response: Any) -> None:
    """What an installer sends and reads: statuses, workflows, schemes and their projects."""
    sandbox, http = fresh
    base = sandbox.url + API
    statuses = check_response(http.post(f"{base}/statuses", json={
        "scope": {"type": "GLOBAL"}, "statuses": [
            {"name": "Pending", "statusCategory": "TODO"}]}), "POST", f"{API}/statuses")
    pending = statuses[0]["id"]
    created = check_response(http.post(f"{base}/workflows/create", json={
        "scope": {"type": "GLOBAL"},
        "statuses": [{"name": "Reviewing", "statusCategory": "IN_PROGRESS",
                      "statusReference": "rev"},
                     {"id": pending, "name": "Pending", "statusCategory": "TODO",
                      "statusReference": pending}],
        "workflows": [{"name": "Support", "statuses": [
            {"statusReference": pending, "properties": {}},
            {"statusReference": "rev", "properties": {}}],
            "transitions": [
                {"type": "INITIAL", "name": "Create", "toStatusReference": pending},
                {"type": "DIRECTED", "name": "Review", "toStatusReference": "rev",
                 "links": [{"fromStatusReference": pending}]}]}]}),
        "POST", f"{API}/workflows/create")
    assert [w["name"] for w in created["workflows"]] == ["Support"]
    check_response(http.post(f"{base}/workflows", json={"workflowNames": ["Support"]}),
                   "POST", f"{API}/workflows")
    scheme = check_response(http.post(f"{base}/workflowscheme", json={
        "name": "Support scheme", "defaultWorkflow": "Support"}), "POST", f"{API}/workflowscheme")
    check_response(http.put(f"{base}/workflowscheme/project", json={
        "projectId": "10000", "workflowSchemeId": str(scheme["id"])}),
        "PUT", f"{API}/workflowscheme/project")


def test_scheme_switch_answers_a_task(fresh: tuple[Sandbox, requests.Session],
                                      check_response: Any) -> None:
    """The switch answers 303 with a task, and the task it points to reads as complete."""
    sandbox, http = fresh
    base = sandbox.url + API
    sandbox.seed_issues(3)
    http.post(f"{base}/workflowscheme", json={"name": "Same", "defaultWorkflow":
                                              "HELP: Default workflow"}).raise_for_status()
    switched = http.post(f"{base}/workflowscheme/project/switch", allow_redirects=False,
                         json={"projectId": "10000", "targetSchemeId": "10001"})
    task = check_response(switched, "POST", f"{API}/workflowscheme/project/switch")
    assert task["status"] == "COMPLETE"
    check_response(http.get(switched.headers["Location"]), "GET", f"{API}/task/{{taskId}}")


ISSUE = f"{API}/issue/{{issueIdOrKey}}"


@pytest.mark.parametrize("query", [
    "", "?expand=changelog", "?expand=changelog,names,transitions&properties=ticketflow.mail",
    "?fields=summary,status,updated", "?fields=*navigable,-description"])
def test_issue_get(cloud: Sandbox, http: requests.Session, check_response: Any,
                   issue_key: str, query: str) -> None:
    """GET issue with the parameters ticketflow uses matches IssueBean."""
    body = check_response(http.get(f"{cloud.url}{API}/issue/{issue_key}{query}"), "GET", ISSUE)
    assert body["key"] == issue_key


def test_issue_parts(cloud: Sandbox, http: requests.Session, check_response: Any,
                     issue_key: str) -> None:
    """Transitions, comments, attachments, properties and the changelog match their schemas."""
    base = f"{cloud.url}{API}/issue/{issue_key}"
    check_response(http.get(f"{base}/transitions"), "GET", f"{ISSUE}/transitions")
    check_response(http.get(f"{base}/transitions?expand=transitions.fields"),
                   "GET", f"{ISSUE}/transitions")
    comments = check_response(http.get(f"{base}/comment"), "GET", f"{ISSUE}/comment")
    comment_id = comments["comments"][0]["id"]
    check_response(http.get(f"{base}/comment/{comment_id}"), "GET", f"{ISSUE}/comment/{{id}}")
    check_response(http.get(f"{base}/properties"), "GET", f"{ISSUE}/properties")
    check_response(http.get(f"{base}/properties/ticketflow.mail"), "GET",
                   f"{ISSUE}/properties/{{propertyKey}}")
    log = check_response(http.get(f"{base}/changelog"), "GET", f"{ISSUE}/changelog")
    assert log["total"] >= 3
    issue = http.get(base).json()
    attachment_id = issue["fields"]["attachment"][0]["id"]
    check_response(http.get(f"{cloud.url}{API}/attachment/{attachment_id}"), "GET",
                   f"{API}/attachment/{{id}}")


def test_issue_writes(cloud: Sandbox, http: requests.Session, check_response: Any,
                      issue_key: str) -> None:
    """Create, edit, transition, assign, comment, attach, notify and link answer as documented."""
    base = cloud.url + API
    created = check_response(http.post(f"{base}/issue", json={"fields": {
        "project": {"id": "10000"}, "issuetype": {"id": "10004"}, "summary": "New"}}),
        "POST", f"{API}/issue")
    key = created["key"]
    check_response(http.put(f"{base}/issue/{key}", json={"fields": {"summary": "Renamed"}}),
                   "PUT", ISSUE)
    check_response(http.post(f"{base}/issue/{key}/transitions",
                             json={"transition": {"id": "31"}}), "POST", f"{ISSUE}/transitions")
    check_response(http.put(f"{base}/issue/{key}/assignee", json={"accountId": None}),
                   "PUT", f"{ISSUE}/assignee")
    check_response(http.post(f"{base}/issue/{key}/comment", json={"body": adf("hi")}),
                   "POST", f"{ISSUE}/comment")
    check_response(http.post(f"{base}/issue/{key}/attachments", files={"file": ("a.txt", b"a")},
                             headers={"X-Atlassian-Token": "no-check"}),
                   "POST", f"{ISSUE}/attachments")
    check_response(http.post(f"{base}/issue/{key}/notify", json={
        "subject": "s", "textBody": "t", "to": {"reporter": True}}), "POST", f"{ISSUE}/notify")
    check_response(http.put(f"{base}/issue/{key}/properties/p", json=1), "PUT",
                   f"{ISSUE}/properties/{{propertyKey}}")
    check_response(http.post(f"{base}/issueLink", json={
        "type": {"name": "Blocks"}, "inwardIssue": {"key": key},
        "outwardIssue": {"key": issue_key}}), "POST", f"{API}/issueLink")
    check_response(http.post(f"{base}/component", json={"name": "Billing", "projectId": 10000}),
                   "POST", f"{API}/component")


@pytest.mark.parametrize("params", [
    {},
    {"fields": "summary,status,updated,assignee,comment", "maxResults": "1"},
    {"fields": "*all", "expand": "changelog,names,schema"},
    {"fields": "key", "properties": "ticketflow.mail"},
])
def test_enhanced_search(cloud: Sandbox, http: requests.Session, check_response: Any,
                         issue_key: str, params: dict[str, str]) -> None:
    """GET and POST /search/jql pages match SearchAndReconcileResults."""
    jql = 'project = HELP AND updated >= "2000/01/01 00:00" ORDER BY updated ASC'
    url = f"{cloud.url}{API}/search/jql"
    page = check_response(http.get(url, params={"jql": jql, **params}), "GET", f"{API}/search/jql")
    body = {"jql": jql, **{k: v.split(",") if k in ("fields", "properties") else v
                           for k, v in params.items()}}
    if "maxResults" in body:
        body["maxResults"] = int(body["maxResults"])
    check_response(http.post(url, json=body), "POST", f"{API}/search/jql")
    if "nextPageToken" in page:
        second = http.get(url, params={"jql": jql, **params, "nextPageToken":
                                       page["nextPageToken"]})
        check_response(second, "GET", f"{API}/search/jql")


def test_counts_and_changelogs(cloud: Sandbox, http: requests.Session, check_response: Any,
                               issue_key: str) -> None:
    """Approximate count and changelog bulk fetch match their schemas."""
    base = cloud.url + API
    count = check_response(http.post(f"{base}/search/approximate-count",
                                     json={"jql": "project = HELP"}),
                           "POST", f"{API}/search/approximate-count")
    assert count["count"] >= 1
    logs = check_response(http.post(f"{base}/changelog/bulkfetch", json={
        "issueIdsOrKeys": [issue_key], "maxResults": 1}), "POST", f"{API}/changelog/bulkfetch")
    assert "nextPageToken" in logs
    check_response(http.post(f"{base}/changelog/bulkfetch", json={
        "issueIdsOrKeys": [issue_key], "fieldIds": ["status"]}),
        "POST", f"{API}/changelog/bulkfetch")


@pytest.mark.parametrize(("path", "spec_path"), [
    ("/issue/{key}?expand=changelog", ISSUE),
    ("/issue/{key}/comment", f"{ISSUE}/comment"),
    ("/search/jql?jql=project%3DHELP&fields=*all", f"{API}/search/jql"),
])
def test_v2_shares_the_v3_shapes(cloud: Sandbox, http: requests.Session, check_response: Any,
                                 issue_key: str, *, path: str, spec_path: str) -> None:
    """REST v2 (what the jira library uses by default) answers in the same shapes as v3."""
    response = http.get(cloud.url + "/rest/api/2" + path.format(key=issue_key))
    check_response(response, "GET", spec_path)


def test_extract_matches_atlassians_document() -> None:
    """The vendored extract is exactly what the full document says for those operations."""
    from .openapi_extract import EXTRACT, FULL_DOCUMENT, extract

    if not FULL_DOCUMENT.exists():
        pytest.skip(f"full OpenAPI document not found at {FULL_DOCUMENT}")
    full = json.loads(FULL_DOCUMENT.read_text(encoding="utf-8"))
    assert json.loads(EXTRACT.read_text(encoding="utf-8")) == extract(full)


def test_entity_properties_of_projects_and_comments(cloud: Sandbox, http: requests.Session,
                                                    check_response: Any,
                                                    issue_key: str) -> None:
    """Project and comment properties: key list, get, put (201 then 200), delete."""
    base = cloud.url + API
    comment_id = http.get(f"{base}/issue/{issue_key}/comment").json()["comments"][0]["id"]
    for path, spec in (("/project/HELP", "/project/{projectIdOrKey}"),
                       (f"/comment/{comment_id}", "/comment/{commentId}")):
        one = f"{base}{path}/properties/ticketflow.owner"
        spec_one = f"{API}{spec}/properties/{{propertyKey}}"
        check_response(http.put(one, json={"instance": "a"}), "PUT", spec_one)
        check_response(http.put(one, json={"instance": "b"}), "PUT", spec_one)
        check_response(http.get(f"{base}{path}/properties"), "GET", f"{API}{spec}/properties")
        assert check_response(http.get(one), "GET", spec_one)["value"] == {"instance": "b"}
        check_response(http.delete(one), "DELETE", spec_one)


def test_assignable_users_and_many_comments(cloud: Sandbox, http: requests.Session,
                                            check_response: Any, issue_key: str) -> None:
    """The assignable-user search and a comment page past the first page match their schemas."""
    base = cloud.url + API
    users = check_response(http.get(f"{base}/user/assignable/search",
                                    params={"project": "HELP", "query": "a"}),
                           "GET", f"{API}/user/assignable/search")
    assert "robin.reader@example.edu" not in [u["emailAddress"] for u in users]
    for n in range(25):
        http.post(f"{cloud.url}/rest/api/2/issue/{issue_key}/comment", json={"body": f"c{n}"})
    page = check_response(http.get(f"{base}/issue/{issue_key}/comment",
                                   params={"startAt": 20, "maxResults": 5,
                                           "orderBy": "-created"}),
                          "GET", f"{ISSUE}/comment")
    assert page["total"] >= 26 and len(page["comments"]) == 5
    found = check_response(http.get(f"{base}/search/jql", params={
        "jql": f"key = {issue_key}", "fields": "comment"}), "GET", f"{API}/search/jql")
    embedded = found["issues"][0]["fields"]["comment"]
    assert len(embedded["comments"]) == 20 and embedded["total"] == page["total"]
