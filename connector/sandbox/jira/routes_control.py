"""The Jira sandbox's own control endpoints: notifications, the API user's zone, projects.

Like the shared ones (`connector.sandbox.control`) they need no credentials and are not counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.sandbox.control import json_object
from connector.sandbox.errors import ClientError
from connector.sandbox.jira.bootstrap import add_project
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp


def notifications(app: JiraApp, req: Request) -> Reply:
    """Mail Jira was asked to send with POST /issue/{key}/notify (recorded, never sent)."""
    return Reply(body={"notifications": list(app.store.notifications)})


def notifications_clear(app: JiraApp, req: Request) -> Reply:
    """Forget the recorded notifications."""
    app.store.notifications.clear()
    return Reply(204)


def time_zone_get(app: JiraApp, req: Request) -> Reply:
    """The API user's time zone (how dates are written and JQL dates are read)."""
    return Reply(body={"timeZone": app.time_zone})


def time_zone_set(app: JiraApp, req: Request) -> Reply:
    """{"timeZone": "Europe/Berlin"}: change the API user's time zone."""
    name = json_object(req).get("timeZone")
    try:
        app.set_time_zone(str(name))
    except ValueError as exc:
        raise ClientError(str(exc)) from None
    return time_zone_get(app, req)


def project_add(app: JiraApp, req: Request) -> Reply:
    """{"key": "OPS", "name": "Operations", "unassignable": ["alice@example.edu"]}: add a
    project like HELP (its own scheme); the people listed may not be assigned its issues."""
    payload = json_object(req)
    refused = payload.get("unassignable") or []
    if not isinstance(refused, list):
        raise ClientError("unassignable: expected a list of e-mails or user names")
    project = add_project(app.store, str(payload.get("key") or ""),
                          str(payload.get("name") or ""), [str(who) for who in refused])
    return Reply(201, {"id": str(project.id), "key": project.key, "name": project.name})


ROUTES = [
    Route("POST", "/_sandbox/projects", project_add),
    Route("GET", "/_sandbox/notifications", notifications),
    Route("DELETE", "/_sandbox/notifications", notifications_clear),
    Route("GET", "/_sandbox/timezone", time_zone_get),
    Route("POST", "/_sandbox/timezone", time_zone_set),
]
