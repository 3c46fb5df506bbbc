"""The starting state: project HELP, Jira's default statuses and workflow, and the users."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from connector.sandbox.accounts import API_USER, API_USER_NAME
from connector.sandbox.jira.errors import bad_request
from connector.sandbox.jira.model import (
    Project,
    Status,
    Transition,
    User,
    Workflow,
    WorkflowScheme,
)
from connector.sandbox.jira.store import Store

DEFAULT_TIME_ZONE = "America/Chicago"
PROJECT_KEY_PATTERN = re.compile(r"[A-Z][A-Z0-9]{1,9}")

PROJECT_ID = 10000
PROJECT_KEY = "HELP"
SERVICE_REQUEST = "10004"
DEFAULT_WORKFLOW = "HELP: Default workflow"
DEFAULT_SCHEME_ID = 10000
# Seeded unless a user list is given: someone who exists (the user search finds them) but may
# not be assigned issues in HELP, as a reporter-only or former colleague is in a real Jira.
OBSERVERS = ("robin.reader@example.edu",)

# The statuses Jira ships with a fresh project, and the any-to-any transitions of its default
# workflow (ids as Jira numbers them: 11, 21, 31 global, 1 the initial "Create").
_DEFAULT_STATUSES = (("10001", "To Do", "TODO"), ("10002", "In Progress", "IN_PROGRESS"),
                     ("10003", "Done", "DONE"))


def make_user(email: str, index: int, time_zone: str, display_name: str | None = None) -> User:
    """A user with ids that stay the same from run to run (tests may hard-code them)."""
    account_id = "712020:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-user:{email}"))
    local = email.split("@", 1)[0]
    name = display_name or " ".join(p.capitalize() for p in local.replace("_", ".").split("."))
    return User(account_id=account_id, name=email, key=f"JIRAUSER{10000 + index}",
                email=email, display_name=name, time_zone=time_zone)


def populate(store: Store, *, user_emails: Sequence[str], time_zone: str,
             observer_emails: Sequence[str] = ()) -> None:
    """Fill an empty store with the starting state; observers may not be assigned in HELP."""
    admin = make_user(API_USER, 0, time_zone, API_USER_NAME)
    store.users[admin.account_id] = admin
    store.me = admin.account_id
    emails = [e for e in user_emails if e != API_USER]
    observers = [e for e in observer_emails if e not in emails and e != API_USER]
    for index, email in enumerate(emails + observers, start=1):
        user = make_user(email, index, time_zone)
        store.users[user.account_id] = user
    for status_id, name, category in _DEFAULT_STATUSES:
        store.statuses[status_id] = Status(status_id, name, category)
    store.counters["status"] = 10003  # new statuses are numbered after these
    store.workflows[DEFAULT_WORKFLOW] = default_workflow(store.now_ms())
    store.schemes[DEFAULT_SCHEME_ID] = WorkflowScheme(
        DEFAULT_SCHEME_ID, "HELP: Default workflow scheme", "", DEFAULT_WORKFLOW)
    store.projects[PROJECT_ID] = Project(
        id=PROJECT_ID, key=PROJECT_KEY, name="Help Desk", issuetype_ids=[SERVICE_REQUEST],
        scheme_id=DEFAULT_SCHEME_ID, lead=admin.account_id,
        unassignable={u.account_id for u in store.users.values() if u.email in observers})
    store.by_project[PROJECT_ID] = set()


def add_project(store: Store, key: str, name: str,
                unassignable: Sequence[str] = ()) -> Project:
    """Another company-managed project like HELP: issue type Service Request, Jira's default
    workflow in a scheme of its own, every user assignable but those `unassignable` names
    (e-mails or user names: people without the project's Assignable User permission there).
    A key Jira would refuse, or an unknown user, is a 400."""
    if not PROJECT_KEY_PATTERN.fullmatch(key):
        raise bad_request("Project keys must start with an uppercase letter, followed by one or "
                          "more uppercase alphanumeric characters.")
    if any(p.key == key for p in store.projects.values()):
        raise bad_request(f"Project '{key}' uses this project key.")
    refused = [store.find_user(who) for who in unassignable]
    if None in refused:
        raise bad_request("unassignable: no such user among " + ", ".join(unassignable))
    project_id = store.next_id("project")
    scheme_id = store.next_id("scheme")
    store.schemes[scheme_id] = WorkflowScheme(
        scheme_id, f"{key}: Default workflow scheme", "", DEFAULT_WORKFLOW)
    project = Project(id=project_id, key=key, name=name or key,
                      issuetype_ids=[SERVICE_REQUEST], scheme_id=scheme_id, lead=store.me,
                      unassignable={u.account_id for u in refused if u is not None})
    store.projects[project_id] = project
    store.by_project[project_id] = set()
    store.version += 1
    return project


def default_workflow(now: int) -> Workflow:
    transitions = [Transition("1", "Create", "INITIAL", "10001")]
    transitions += [Transition(tid, name, "GLOBAL", sid)
                    for tid, (sid, name, _) in zip(("11", "21", "31"), _DEFAULT_STATUSES,
                                                   strict=True)]
    return Workflow(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, "sandbox-workflow:default")),
        name=DEFAULT_WORKFLOW, description="Any status to any status, as Jira starts a project.",
        statuses=[sid for sid, _, _ in _DEFAULT_STATUSES], transitions=transitions,
        created=now, updated=now,
        version_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "sandbox-workflow:default:v0")))
