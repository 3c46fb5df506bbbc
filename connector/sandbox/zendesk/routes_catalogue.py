"""Routes for what tickets are made of: custom ticket statuses and ticket fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.sandbox.control import json_object
from connector.sandbox.routing import Reply, Request, Route
from connector.sandbox.zendesk.errors import bad_value, forbidden, invalid, not_found
from connector.sandbox.zendesk.model import (
    CATEGORIES,
    FIELD_TYPES,
    CustomStatus,
    FieldOption,
    TicketField,
)
from connector.sandbox.zendesk.render import Renderer

if TYPE_CHECKING:
    from connector.sandbox.zendesk.app import ZendeskApp

LABEL_MAX = 48  # Zendesk: "Maximum length is 48 characters"


def _body(app: ZendeskApp, req: Request, key: str) -> dict[str, Any]:
    if app.store.current_user.role != "admin":
        raise forbidden()
    data = json_object(req).get(key)
    if not isinstance(data, dict):
        raise bad_value(f"The request body must contain a `{key}` object.")
    return data


def list_statuses(app: ZendeskApp, req: Request) -> Reply:
    """Every custom status (no paging, as Zendesk); filters status_categories, active, default."""
    found = list(app.store.statuses.values())
    if req.arg("status_categories"):
        wanted = set((req.arg("status_categories") or "").split(","))
        found = [s for s in found if s.category in wanted]
    for name in ("active", "default"):
        if req.arg(name) is not None:
            found = [s for s in found if getattr(s, name) == req.bool_arg(name)]
    r = Renderer(app.base_url)
    return Reply(body={"custom_statuses": [r.status(s) for s in found]})


def create_status(app: ZendeskApp, req: Request) -> Reply:
    """{"custom_status": {"status_category", "agent_label", ...}} (admins)."""
    data = _body(app, req, "custom_status")
    category = data.get("status_category")
    if category not in CATEGORIES:
        raise invalid("status_category", f"Status category: must be one of {list(CATEGORIES)}")
    label = str(data.get("agent_label") or "").strip()
    if not label or len(label) > LABEL_MAX:
        raise invalid("agent_label", f"Agent label: must be 1 to {LABEL_MAX} characters")
    now = app.store.now()
    status = CustomStatus(app.store.next_id("status"), str(category), label,
                          str(data.get("end_user_label") or label),
                          str(data.get("description") or ""),
                          str(data.get("end_user_description") or ""), now, now,
                          active=bool(data.get("active", True)))
    app.store.statuses[status.id] = status
    return Reply(201, {"custom_status": Renderer(app.base_url).status(status)})


def show_status(app: ZendeskApp, req: Request) -> Reply:
    """One custom status."""
    status = app.store.status(req.params["id"])
    return Reply(body={"custom_status": Renderer(app.base_url).status(status)})


def list_fields(app: ZendeskApp, req: Request) -> Reply:
    """Every ticket field, system fields first."""
    r = Renderer(app.base_url)
    ordered = sorted(app.store.fields.values(), key=lambda f: (f.position, f.id))
    return Reply(body={"ticket_fields": [r.field(f) for f in ordered],
                       "next_page": None, "previous_page": None, "count": len(ordered)})


def create_field(app: ZendeskApp, req: Request) -> Reply:
    """{"ticket_field": {"type", "title", "custom_field_options": [{"name", "value"}]}}."""
    data = _body(app, req, "ticket_field")
    kind, title = data.get("type"), str(data.get("title") or "").strip()
    if kind not in FIELD_TYPES:
        raise invalid("type", f"Type: must be one of {list(FIELD_TYPES)}")
    if not title:
        raise invalid("title", "Title: cannot be blank")
    now = app.store.now()
    fdef = TicketField(app.store.next_id("field"), str(kind), title,
                       str(data.get("description") or ""), now, now,
                       position=len(app.store.fields) + 1000,
                       required=bool(data.get("required", False)),
                       active=bool(data.get("active", True)),
                       agent_description=str(data.get("agent_description") or ""))
    fdef.options = _options(app, fdef, data.get("custom_field_options"))
    app.store.fields[fdef.id] = fdef
    return Reply(201, {"ticket_field": Renderer(app.base_url).field(fdef)})


def update_field(app: ZendeskApp, req: Request) -> Reply:
    """{"ticket_field": {"title", "description", "agent_description", "active", "required"}}:
    those given replace the field's (admins; a system field keeps its title)."""
    data = _body(app, req, "ticket_field")
    fdef = _field(app, req.params["id"])
    if "title" in data:
        title = str(data.get("title") or "").strip()
        if not title:
            raise invalid("title", "Title: cannot be blank")
        if not fdef.system:
            fdef.title = title
    for name in ("description", "agent_description"):
        if name in data:
            setattr(fdef, name, str(data.get(name) or ""))
    for name in ("active", "required"):
        if name in data:
            setattr(fdef, name, bool(data[name]))
    fdef.updated = app.store.now()
    return Reply(body={"ticket_field": Renderer(app.base_url).field(fdef)})


def _options(app: ZendeskApp, fdef: TicketField, raw: Any) -> list[FieldOption]:
    """A drop-down needs options, each with a name and a unique tag-like value."""
    if fdef.type not in ("tagger", "multiselect"):
        return []
    if not isinstance(raw, list) or not raw:
        raise invalid("custom_field_options", "Field options: cannot be blank")
    options: list[FieldOption] = []
    for position, item in enumerate(raw):
        name = str(item.get("name") or "") if isinstance(item, dict) else ""
        value = str(item.get("value") or "") if isinstance(item, dict) else ""
        if not name or not value or " " in value:
            raise invalid("custom_field_options", "Field options: each needs a name and a "
                                                  "value without spaces")
        if value in {o.value for o in options}:
            raise invalid("custom_field_options", f"Field options: {value} is used twice")
        options.append(FieldOption(app.store.next_id("option"), name, value, position,
                                   bool(item.get("default", False))))
    return options


def show_field(app: ZendeskApp, req: Request) -> Reply:
    """One ticket field."""
    return Reply(body={"ticket_field": Renderer(app.base_url).field(
        _field(app, req.params["id"]))})


def _field(app: ZendeskApp, ident: str) -> TicketField:
    fdef = app.store.fields.get(int(ident)) if ident.isdigit() else None
    if fdef is None:
        raise not_found()
    return fdef


ROUTES = [
    Route("GET", "/api/v2/custom_statuses", list_statuses),
    Route("POST", "/api/v2/custom_statuses", create_status),
    Route("GET", "/api/v2/custom_statuses/{id}", show_status),
    Route("GET", "/api/v2/ticket_fields", list_fields),
    Route("POST", "/api/v2/ticket_fields", create_field),
    Route("GET", "/api/v2/ticket_fields/{id}", show_field),
    Route("PUT", "/api/v2/ticket_fields/{id}", update_field),
]
