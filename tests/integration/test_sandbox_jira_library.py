"""The `jira` library (3.10.5) works against both sandbox flavors over real HTTP."""

from __future__ import annotations

import io

import pytest
from jira import JIRA, JIRAError

from connector.sandbox import Sandbox

from .conftest import jira_client


def _new_issue(client: JIRA, summary: str = "Cannot log in") -> str:
    issue = client.create_issue(fields={
        "project": {"key": "HELP"}, "issuetype": {"name": "Service Request"},
        "summary": summary, "labels": ["mail"], "customfield_10071": 1,
        "customfield_10072": "pat@example.org"})
    return str(issue.key)


def test_client_detects_the_flavor(any_jira: tuple[Sandbox, JIRA]) -> None:
    """serverInfo makes the library treat cloud as Cloud and datacenter as Server/DC."""
    sandbox, client = any_jira
    assert client._is_cloud == (sandbox.flavor == "cloud")
    assert client.myself()["timeZone"] == "America/Chicago"


def test_create_issue_and_read_it_back(any_jira: tuple[Sandbox, JIRA]) -> None:
    """create_issue (issue type by name) then issue() returns the fields written."""
    _, client = any_jira
    key = _new_issue(client)
    issue = client.issue(key)
    assert issue.fields.summary == "Cannot log in"
    assert issue.fields.status.name == "To Do"
    assert issue.fields.labels == ["mail"]
    assert issue.fields.customfield_10072 == "pat@example.org"
    assert issue.fields.reporter.displayName == "Sandbox Admin"
    assert issue.fields.created == "2026-11-26T10:00:00.000-0600"


def test_transitions_follow_the_workflow(any_jira: tuple[Sandbox, JIRA]) -> None:
    """transitions() lists the allowed moves; transition_issue works by name and by id."""
    _, client = any_jira
    key = _new_issue(client)
    assert [t["name"] for t in client.transitions(key)] == ["To Do", "In Progress", "Done"]
    client.transition_issue(key, "In Progress", comment="Looking into it")
    assert client.issue(key).fields.status.name == "In Progress"
    client.transition_issue(key, "31")
    issue = client.issue(key)
    assert issue.fields.status.name == "Done"
    assert issue.fields.resolution.name == "Done"
    assert [c.body for c in client.comments(key)] == ["Looking into it"]


def test_refused_transition_is_a_400(cloud_sandbox: Sandbox, cloud_jira: JIRA) -> None:
    """A transition the workflow does not allow fails with Jira's status and message."""
    key = _new_issue(cloud_jira)
    with pytest.raises(JIRAError) as raised:
        cloud_jira.transition_issue(key, "99")
    assert raised.value.status_code == 400
    assert "Transition id '99' is not valid for this issue." in raised.value.text


def test_add_comment_internal(any_jira: tuple[Sandbox, JIRA]) -> None:
    """add_comment(is_internal=True) keeps the sd.public.comment property."""
    _, client = any_jira
    key = _new_issue(client)
    comment = client.add_comment(key, "Only agents see this", is_internal=True)
    assert comment.body == "Only agents see this"
    assert comment.raw["properties"] == [{"key": "sd.public.comment",
                                          "value": {"internal": True}}]
    public = client.add_comment(key, "Hello customer")
    assert "properties" not in public.raw


def test_assign_issue(any_jira: tuple[Sandbox, JIRA]) -> None:
    """assign_issue finds the user (accountId on Cloud, name on DC) and assigns; None clears."""
    _, client = any_jira
    key = _new_issue(client)
    assert client.assign_issue(key, "carol@example.edu")
    assert client.issue(key).fields.assignee.displayName == "Carol"
    client.assign_issue(key, None)
    assert client.issue(key).fields.assignee is None


def test_enhanced_search_pages_with_tokens(cloud_sandbox: Sandbox, cloud_jira: JIRA) -> None:
    """enhanced_search_issues: one page per call with a token, or every page with maxResults=0."""
    cloud_sandbox.seed_issues(230)
    jql = "project = HELP ORDER BY key ASC"
    seen: list[str] = []
    token = None
    while True:
        page = cloud_jira.enhanced_search_issues(jql, nextPageToken=token, maxResults=100,
                                                 fields="summary,status,updated")
        seen += [issue.key for issue in page]
        token = page.nextPageToken
        if token is None:
            break
    assert seen == [f"HELP-{n}" for n in range(1, 231)]
    everything = cloud_jira.enhanced_search_issues(jql, maxResults=0, fields="key")
    assert len(everything) == 230
    raw = cloud_jira.enhanced_search_issues(jql, maxResults=10, fields="key", json_result=True)
    assert raw["isLast"] is False and len(raw["issues"]) == 10
    assert cloud_jira.approximate_issue_count("project = HELP") == 230


def test_search_issues_on_cloud_goes_through_enhanced_search(cloud_sandbox: Sandbox,
                                                             cloud_jira: JIRA) -> None:
    """On Cloud search_issues(startAt=0) delegates to /search/jql; other offsets are refused."""
    cloud_sandbox.seed_issues(5)
    assert len(cloud_jira.search_issues("project = HELP", fields="summary")) == 5
    with pytest.raises(JIRAError):
        cloud_jira.search_issues("project = HELP", startAt=2)


def test_datacenter_search_pages_with_total(dc_sandbox: Sandbox, dc_jira: JIRA) -> None:
    """On DC search_issues pages with startAt and reports the server's total."""
    dc_sandbox.seed_issues(230)
    first = dc_jira.search_issues("project = HELP ORDER BY key ASC", maxResults=100)
    assert (len(first), first.total) == (100, 230)
    tail = dc_jira.search_issues("project = HELP ORDER BY key ASC", startAt=200, maxResults=100)
    assert [i.key for i in tail] == [f"HELP-{n}" for n in range(201, 231)]
    everything = dc_jira.search_issues("project = HELP", maxResults=False, fields="key")
    assert len(everything) == 230
    assert dc_jira.enhanced_search_issues("project = HELP") is None  # a Cloud-only call


def test_wrong_credentials_are_401(any_jira: tuple[Sandbox, JIRA]) -> None:
    """A client with the wrong secret is refused with 401 at its first request."""
    sandbox, _ = any_jira
    auth = ({"basic_auth": (sandbox.email, "nope")} if sandbox.flavor == "cloud"
            else {"token_auth": "nope"})
    with pytest.raises(JIRAError) as raised:
        JIRA(server=sandbox.url, max_retries=0, **auth)
    assert raised.value.status_code == 401


def test_old_search_path_is_gone_on_cloud(cloud_sandbox: Sandbox) -> None:
    """A client that skips serverInfo uses the removed /search and gets Cloud's 410."""
    client = jira_client(cloud_sandbox, get_server_info=False)
    try:
        with pytest.raises(JIRAError) as raised:
            client.search_issues("project = HELP")
        assert raised.value.status_code == 410
        assert "/rest/api/3/search/jql" in raised.value.text
    finally:
        client.close()


def test_attachments_and_issue_properties(any_jira: tuple[Sandbox, JIRA]) -> None:
    """add_attachment (multipart with the XSRF header) and issue properties round-trip."""
    _, client = any_jira
    key = _new_issue(client)
    attachment = client.add_attachment(key, io.BytesIO(b"log line"), filename="log.txt")
    assert attachment.filename == "log.txt"
    assert client.attachment(attachment.id).get() == b"log line"
    client.add_issue_property(key, "ticketflow.mail", {"messageId": "<1@example.org>"})
    assert client.issue_property(key, "ticketflow.mail").value.messageId == "<1@example.org>"
