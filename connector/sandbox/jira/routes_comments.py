"""Routes for comments (ADF on v3, wiki strings on v2) and attachments (multipart, XSRF header)."""

from __future__ import annotations

import email.parser
import email.policy
from typing import TYPE_CHECKING

from connector.sandbox.jira.errors import ApiError, bad_request
from connector.sandbox.jira.issue_view import parse_csv
from connector.sandbox.jira.issues import IssueWriter
from connector.sandbox.jira.render import Renderer
from connector.sandbox.routing import Reply, Request, Route

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp

# GET /issue/{key}/comment: Cloud answers 100 a page by default (its documented default, and
# the sandbox allows no more); Data Center answers every comment unless maxResults is given.
CLOUD_COMMENT_PAGE = 100
_ORDERS = {"created": False, "+created": False, "-created": True}


def comment_properties(app: JiraApp, req: Request) -> bool:
    """Whether comments are read back with their properties.

    Cloud documents only `renderedBody` for `expand` on comments, so the sandbox never lists
    properties there: code must read them from `/comment/{id}/properties/{key}`. Data Center
    answers `expand=properties` on the comment resources (reported for Server in
    pycontribs/jira#1011), so the sandbox does too. The answer to the POST that set them
    always echoes them.
    """
    return app.flavor == "datacenter" and "properties" in parse_csv(req.args("expand"))


def comments(app: JiraApp, req: Request) -> Reply:
    """A page of an issue's comments: `startAt`, `maxResults`, `orderBy` (created/-created)."""
    issue = app.store.issue(req.params["key"])
    r = Renderer(app.store, app.base_url, req.version)
    order = req.arg("orderBy", "created") or "created"
    if order not in _ORDERS:
        raise bad_request(f"The value '{order}' of parameter 'orderBy' is not valid; use "
                          "created or -created.")
    ordered = issue.comments[::-1] if _ORDERS[order] else list(issue.comments)
    start = req.int_arg("startAt", 0)
    if app.flavor == "cloud":
        size = min(req.int_arg("maxResults", CLOUD_COMMENT_PAGE), CLOUD_COMMENT_PAGE)
    else:
        size = req.int_arg("maxResults", len(ordered))
    page = ordered[start:start + size]
    with_properties = comment_properties(app, req)
    return Reply(body={"startAt": start, "maxResults": size, "total": len(ordered),
                       "comments": [r.comment(issue, c, with_properties=with_properties)
                                    for c in page]})


def comment_get(app: JiraApp, req: Request) -> Reply:
    """One comment of an issue."""
    issue = app.store.issue(req.params["key"])
    for comment in issue.comments:
        if str(comment.id) == req.params["id"]:
            return Reply(body=Renderer(app.store, app.base_url, req.version).comment(
                issue, comment, with_properties=comment_properties(app, req)))
    raise ApiError(404, [f"Can not find a comment for the id: {req.params['id']}."])


def comment_add(app: JiraApp, req: Request) -> Reply:
    """Adds a comment; its `properties` (e.g. `sd.public.comment`) are kept and echoed."""
    issue = app.store.issue(req.params["key"])
    comment = IssueWriter(app.store, req.version).add_comment(issue, req.json())
    r = Renderer(app.store, app.base_url, req.version)
    return Reply(201, r.comment(issue, comment, with_properties=True))


def attachments_add(app: JiraApp, req: Request) -> Reply:
    """Multipart upload under the field name `file`; Jira wants `X-Atlassian-Token: no-check`."""
    token = next((v for k, v in req.headers.items() if k.lower() == "x-atlassian-token"), "")
    if token.lower() not in ("no-check", "nocheck"):
        raise ApiError(403, ["XSRF check failed"])
    issue = app.store.issue(req.params["key"])
    files = _multipart_files(req)
    if not files:
        raise bad_request("No file was attached under the form field 'file'.")
    added = IssueWriter(app.store, req.version).attach(issue, files)
    for attachment in added:
        app.store.attachment_owner[attachment.id] = issue.id
    r = Renderer(app.store, app.base_url, req.version)
    return Reply(body=[r.attachment(a) for a in added])


def _multipart_files(req: Request) -> list[tuple[str, str, bytes]]:
    content_type = next((v for k, v in req.headers.items() if k.lower() == "content-type"), "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(415, ["Attachments must be sent as multipart/form-data."])
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + req.body)
    files: list[tuple[str, str, bytes]] = []
    for part in message.iter_parts():
        disposition = part.get("Content-Disposition", "")
        if 'name="file"' not in disposition:
            continue
        payload = part.get_payload(decode=True)
        files.append((part.get_filename() or "attachment", part.get_content_type(),
                      payload if isinstance(payload, bytes) else b""))
    return files


def _attachment(app: JiraApp, ident: str) -> tuple[int, int]:
    owner = app.store.attachment_owner.get(int(ident)) if ident.isdigit() else None
    if owner is None or owner not in app.store.issues:
        raise ApiError(404, [f"The attachment with id '{ident}' does not exist."])
    return owner, int(ident)


def attachment_meta(app: JiraApp, req: Request) -> Reply:
    owner, ident = _attachment(app, req.params["id"])
    found = next(a for a in app.store.issues[owner].attachments if a.id == ident)
    body = Renderer(app.store, app.base_url, req.version).attachment(found)
    body["id"] = found.id  # this one operation answers the id as a number
    return Reply(body=body)


def attachment_content(app: JiraApp, req: Request) -> Reply:
    owner, ident = _attachment(app, req.params["id"])
    found = next(a for a in app.store.issues[owner].attachments if a.id == ident)
    return Reply(raw=found.content, content_type=found.mime_type)


ROUTES = [
    Route("GET", "/rest/api/{v}/issue/{key}/comment", comments),
    Route("POST", "/rest/api/{v}/issue/{key}/comment", comment_add),
    Route("GET", "/rest/api/{v}/issue/{key}/comment/{id}", comment_get),
    Route("POST", "/rest/api/{v}/issue/{key}/attachments", attachments_add),
    Route("GET", "/rest/api/{v}/attachment/{id}", attachment_meta),
    Route("GET", "/rest/api/{v}/attachment/content/{id}", attachment_content),
]
