"""Entity properties of issues, projects and comments: list keys, get, set, delete.

One implementation serves the three, as in Jira: a property is a JSON value of at most
32,768 bytes under a key; setting one answers 201 when new and 200 when replaced, and changes
neither `updated` nor the changelog. A project property is where an owner claim can live
(issue 13: one processor per tracker); a comment property is where a marker unique to a mail
can live, read per comment because comment lists do not carry properties.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from connector.sandbox.jira.errors import ApiError, bad_request
from connector.sandbox.jira.render import Renderer
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp

_PROPERTY_LIMIT = 32768
_KEY_LIMIT = 255


def _owner(app: JiraApp, req: Request) -> tuple[dict[str, Any], str]:
    """The properties of the entity the path names, and its REST path (for `self` links)."""
    kind = req.path.split("/")[4]  # /rest/api/{v}/{kind}/...
    if kind == "issue":
        issue = app.store.issue(req.params["key"])
        return issue.properties, f"issue/{issue.id}"
    if kind == "project":
        project = app.store.project(req.params["project"])
        return project.properties, f"project/{project.id}"
    ident = req.params["comment"]
    owner = app.store.comment_owner.get(int(ident)) if ident.isdigit() else None
    holder = app.store.issues.get(owner) if owner is not None else None
    comment = next((c for c in holder.comments if str(c.id) == ident), None) if holder else None
    if comment is None:
        raise ApiError(404, [f"Can not find a comment for the id: {ident}."])
    return comment.properties, f"comment/{comment.id}"


def property_keys(app: JiraApp, req: Request) -> Reply:
    """The keys of an entity's properties, each with its `self` link."""
    properties, path = _owner(app, req)
    api = Renderer(app.store, app.base_url, req.version).api
    return Reply(body={"keys": [{"self": f"{api}/{path}/properties/{k}", "key": k}
                                for k in properties]})


def property_get(app: JiraApp, req: Request) -> Reply:
    """One property: {"key": ..., "value": ...}."""
    properties, _ = _owner(app, req)
    name = req.params["property"]
    if name not in properties:
        raise ApiError(404, [f"The property with key '{name}' does not exist."])
    return Reply(body={"key": name, "value": properties[name]})


def property_put(app: JiraApp, req: Request) -> Reply:
    """Set a property (201 new, 200 replaced); as in Jira it writes no history."""
    properties, _ = _owner(app, req)
    name = req.params["property"]
    if len(name) > _KEY_LIMIT:
        raise bad_request(f"The property key is too long ({_KEY_LIMIT} characters at most).")
    if not req.body.strip():
        raise bad_request("The property value must be valid JSON.")
    if len(req.body) > _PROPERTY_LIMIT:
        raise bad_request(f"The property value is too long ({_PROPERTY_LIMIT} bytes at most).")
    value = req.json()
    created = name not in properties
    properties[name] = json.loads(json.dumps(value))
    return Reply(201 if created else 200, raw=b"")


def property_delete(app: JiraApp, req: Request) -> Reply:
    """Delete a property; 404 when there is none under the key."""
    properties, _ = _owner(app, req)
    name = req.params["property"]
    if name not in properties:
        raise ApiError(404, [f"The property with key '{name}' does not exist."])
    del properties[name]
    return Reply(204)


def _routes(base: str) -> list[Route]:
    return [Route("GET", f"{base}/properties", property_keys),
            Route("GET", f"{base}/properties/{{property}}", property_get),
            Route("PUT", f"{base}/properties/{{property}}", property_put),
            Route("DELETE", f"{base}/properties/{{property}}", property_delete)]


ROUTES = (_routes("/rest/api/{v}/issue/{key}") + _routes("/rest/api/{v}/project/{project}")
          + _routes("/rest/api/{v}/comment/{comment}"))
