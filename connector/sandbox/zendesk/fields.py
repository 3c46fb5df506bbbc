"""Custom field values on tickets, and the tags Zendesk keeps in step with drop-down fields."""

from __future__ import annotations

from typing import Any

from connector.sandbox.zendesk.errors import invalid
from connector.sandbox.zendesk.model import Ticket, TicketField
from connector.sandbox.zendesk.store import Store


def tags_of(raw: Any) -> list[str]:
    """Tags as Zendesk reads them: a list, or one string of space-separated tags."""
    items = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
    tags: list[str] = []
    for item in items:
        tag = str(item).strip().lower().replace(" ", "_")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def apply_custom_fields(store: Store, ticket: Ticket, raw: Any) -> None:
    """`custom_fields: [{"id": ..., "value": ...}]`. A drop-down value must be one of its
    options' values, and its tag replaces the previous option's tag on the ticket."""
    if raw is None:
        return
    if not isinstance(raw, list):
        raise invalid("custom_fields", "Custom fields: must be a list of {id, value}")
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("id") is None:
            raise invalid("custom_fields", "Custom fields: each needs an id and a value")
        fdef = store.fields.get(int(entry["id"])) if str(entry["id"]).isdigit() else None
        # Stricter than Zendesk, which drops unknown ids silently: a typo should show.
        if fdef is None or fdef.system or not fdef.active:
            raise invalid("custom_fields", f"Custom field {entry['id']} does not exist")
        _set_value(ticket, fdef, entry.get("value"))


def _set_value(ticket: Ticket, fdef: TicketField, value: Any) -> None:
    if fdef.type == "tagger":
        values = {o.value for o in fdef.options}
        if value not in (None, "") and value not in values:
            raise invalid(fdef.title, f"{fdef.title}: {value} is not a valid option")
        ticket.tags = [t for t in ticket.tags if t not in values]
        if value:
            ticket.tags.append(str(value))
    elif fdef.type == "checkbox":
        value = bool(value)
    elif fdef.type == "integer" and value is not None:
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise invalid(fdef.title, f"{fdef.title}: is not a number") from None
    if value in (None, ""):
        ticket.custom.pop(fdef.id, None)
    else:
        ticket.custom[fdef.id] = value
