"""Zendesk's responses as its API reference documents them, written down by hand.

Zendesk's own OpenAPI document may not be redistributed here, so the contract the Zendesk
sandbox (and the adapter that reads it) is held to is this: for each operation ticketflow uses,
the fields of the answer it relies on, their types and which are always present, taken from
developer.zendesk.com's reference pages (Tickets, Ticket Comments, Ticket Audits, Custom
Ticket Statuses, Ticket Fields, Groups, Group Memberships, Users, Incremental Exports, Ticket
Attachments, Search; each newer entry names its page). Where a
copy of the full document is at hand (TICKETFLOW_ZENDESK_OPENAPI), the stricter check against it
runs as well. Shaped as an OpenAPI 3.0 fragment so one `make_check` serves both.
"""

from __future__ import annotations

from typing import Any

V = "/api/v2"


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


_INT = {"type": "integer"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_NULL_STR = {"type": "string", "nullable": True}
_NULL_INT = {"type": "integer", "nullable": True}

SCHEMAS: dict[str, Any] = {
    # Tickets: "Ticket object" (status is the category once custom statuses are on).
    "Ticket": _obj(
        ["id", "subject", "description", "status", "requester_id", "assignee_id", "group_id",
         "tags", "custom_fields", "created_at", "updated_at"],
        id=_INT, url=_STR, external_id=_NULL_STR, subject=_NULL_STR, description=_NULL_STR,
        status={"type": "string",
                "enum": ["new", "open", "pending", "hold", "solved", "closed"]},
        custom_status_id=_NULL_INT, requester_id=_INT, submitter_id=_NULL_INT,
        assignee_id=_NULL_INT, group_id=_NULL_INT,
        tags={"type": "array", "items": _STR},
        custom_fields={"type": "array", "items": _obj(["id"], id=_INT, value={})},
        via={"type": "object"}, followup_ids={"type": "array", "items": _INT},
        created_at=_TIME, updated_at=_TIME),
    "Comment": _obj(
        ["id", "author_id", "body", "public", "created_at"],
        id=_INT, type=_STR, author_id=_INT, body=_STR, html_body=_STR, plain_body=_STR,
        public=_BOOL, audit_id=_INT, created_at=_TIME,
        attachments={"type": "array", "items": _ref("Attachment")}),
    # Ticket Attachments, "JSON format" (every property read-only and optional; these are
    # the ones a comment's and an upload's attachments carry):
    # https://developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/
    "Attachment": _obj(
        ["id", "file_name", "content_url", "content_type", "size"],
        id=_INT, file_name=_STR, content_url=_STR, content_type=_STR, size=_INT,
        inline=_BOOL, deleted=_BOOL, mapped_content_url=_STR, url=_STR,
        malware_access_override=_BOOL, malware_scan_result=_STR,
        thumbnails={"type": "array", "items": {"type": "object"}}),
    # Ticket Audits: "Audit object"; events are Create, Change, Comment, ...
    "Audit": _obj(
        ["id", "ticket_id", "author_id", "created_at", "events"],
        id=_INT, ticket_id=_INT, author_id=_INT, created_at=_TIME, via={"type": "object"},
        events={"type": "array", "items": _obj(["id", "type"], id=_INT, type=_STR)}),
    "CustomStatus": _obj(
        ["id", "agent_label", "status_category", "active", "default"],
        id=_INT, agent_label=_STR, end_user_label=_NULL_STR,
        status_category={"type": "string",
                         "enum": ["new", "open", "pending", "hold", "solved"]},
        active=_BOOL, default=_BOOL),
    "TicketField": _obj(
        ["id", "type", "title", "active"],
        id=_INT, type=_STR, title=_STR, active=_BOOL,
        custom_field_options={"type": "array", "items": _obj(
            ["name", "value"], id=_INT, name=_STR, value=_STR)}),
    "User": _obj(["id", "name", "email", "role", "active"],
                 id=_INT, name=_STR, email=_NULL_STR, active=_BOOL,
                 role={"type": "string", "enum": ["end-user", "agent", "admin"]}),
    "Group": _obj(["id", "name"], id=_INT, name=_STR, deleted=_BOOL),
    "Membership": _obj(["id", "user_id", "group_id"], id=_INT, user_id=_INT, group_id=_INT),
}


def _answer(status: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"responses": {status: {"content": {"application/json": {"schema": schema}}}}}


# Ticket Attachments, "Upload Files" (POST /api/v2/uploads?filename=NAME, the file as the
# body): 201 with the token a comment's `uploads` takes, the attachment made and the
# upload's attachments so far (a second file may join with `token=`). No expiry instant is
# documented (the token lasts 60 minutes, says "Can I attach files to tickets using the
# API", support.zendesk.com/hc/en-us/articles/4408887057946):
# https://developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/#upload-files
_UPLOAD = _obj(["upload"], upload={**_obj(
    ["token", "attachment", "attachments"], token=_STR, attachment=_ref("Attachment"),
    attachments=_list_of("Attachment")),
    # Closed: the sandbox answered an `expires_at` of null, which no page documents.
    "additionalProperties": False})
# Search, "Show Results Count" (GET /api/v2/search/count?query=...): `{"count": 6}`.
# https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/#show-results-count
_COUNT = _obj(["count"], count=_INT)
_PAGED_TICKETS = _obj(["tickets", "after_cursor", "end_of_stream"],
                      tickets=_list_of("Ticket"), after_cursor=_NULL_STR,
                      after_url=_NULL_STR, end_of_stream=_BOOL)
_EVENTS = _obj(["ticket_events", "end_time", "end_of_stream"],
               ticket_events={"type": "array", "items": _obj(
                   ["id", "ticket_id", "timestamp", "child_events"], id=_INT, ticket_id=_INT,
                   timestamp=_INT, child_events={"type": "array"})},
               next_page=_NULL_STR, count=_INT, end_time=_INT, end_of_stream=_BOOL)

DOCUMENTED: dict[str, Any] = {
    "paths": {
        f"{V}/users/me": {"get": _answer("200", _obj(["user"], user=_ref("User")))},
        f"{V}/users/{{user_id}}": {"get": _answer("200", _obj(["user"], user=_ref("User")))},
        f"{V}/users/search": {"get": _answer("200", _obj(["users"], users=_list_of("User")))},
        # Users, "Show Many Users" (`ids=1,2`, up to 100; those that exist):
        # https://developer.zendesk.com/api-reference/ticketing/users/users/#show-many-users
        f"{V}/users/show_many": {
            "get": _answer("200", _obj(["users"], users=_list_of("User")))},
        f"{V}/uploads": {"post": _answer("201", _UPLOAD)},
        f"{V}/search/count": {"get": _answer("200", _COUNT)},
        f"{V}/groups": {"get": _answer("200", _obj(["groups"], groups=_list_of("Group"))),
                        "post": _answer("201", _obj(["group"], group=_ref("Group")))},
        f"{V}/group_memberships": {
            "get": _answer("200", _obj(["group_memberships"],
                                       group_memberships=_list_of("Membership"))),
            "post": _answer("201", _obj(["group_membership"],
                                        group_membership=_ref("Membership")))},
        f"{V}/custom_statuses": {
            "get": _answer("200", _obj(["custom_statuses"],
                                       custom_statuses=_list_of("CustomStatus"))),
            "post": _answer("201", _obj(["custom_status"],
                                        custom_status=_ref("CustomStatus")))},
        f"{V}/ticket_fields": {
            "get": _answer("200", _obj(["ticket_fields"],
                                       ticket_fields=_list_of("TicketField"))),
            "post": _answer("201", _obj(["ticket_field"], ticket_field=_ref("TicketField")))},
        f"{V}/tickets": {
            "get": _answer("200", _obj(["tickets"], tickets=_list_of("Ticket"))),
            "post": _answer("201", _obj(["ticket"], ticket=_ref("Ticket")))},
        f"{V}/tickets/{{ticket_id}}": {
            "get": _answer("200", _obj(["ticket"], ticket=_ref("Ticket"))),
            "put": _answer("200", _obj(["ticket", "audit"], ticket=_ref("Ticket"),
                                       audit=_ref("Audit")))},
        f"{V}/tickets/show_many": {
            "get": _answer("200", _obj(["tickets"], tickets=_list_of("Ticket")))},
        f"{V}/tickets/{{ticket_id}}/comments": {
            "get": _answer("200", _obj(["comments"], comments=_list_of("Comment")))},
        f"{V}/tickets/{{ticket_id}}/audits": {
            "get": _answer("200", _obj(["audits"], audits=_list_of("Audit")))},
        f"{V}/incremental/tickets/cursor": {"get": _answer("200", _PAGED_TICKETS)},
        f"{V}/incremental/ticket_events": {"get": _answer("200", _EVENTS)},
    },
    "components": {"schemas": SCHEMAS},
}
