"""The part of Zendesk's Support API OpenAPI document the Zendesk sandbox is checked against.

Zendesk publishes the document ("Support API", oas.yaml) with its developer documentation; it
may not be redistributed, so it is not kept in this repository: the documented contract in
zendesk_documented.py is what every run checks. Point TICKETFLOW_ZENDESK_OPENAPI at a copy (YAML
or JSON) to check against the full document as well. The extract is
made at test time by the same function as the Jira one.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .openapi_extract import extract

DOCUMENT = os.environ.get("TICKETFLOW_ZENDESK_OPENAPI", "")
V = "/api/v2"
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("get", f"{V}/users/me"), ("get", f"{V}/users/search"), ("get", f"{V}/users/{{user_id}}"),
    ("get", f"{V}/groups"), ("post", f"{V}/groups"), ("get", f"{V}/group_memberships"),
    ("post", f"{V}/group_memberships"), ("get", f"{V}/custom_statuses"),
    ("post", f"{V}/custom_statuses"), ("get", f"{V}/ticket_fields"),
    ("post", f"{V}/ticket_fields"), ("get", f"{V}/tickets"), ("post", f"{V}/tickets"),
    ("get", f"{V}/tickets/{{ticket_id}}"), ("put", f"{V}/tickets/{{ticket_id}}"),
    ("get", f"{V}/tickets/show_many"), ("get", f"{V}/tickets/{{ticket_id}}/comments"),
    ("get", f"{V}/tickets/{{ticket_id}}/audits"), ("get", f"{V}/incremental/tickets/cursor"),
    ("get", f"{V}/incremental/ticket_events"), ("get", f"{V}/users/show_many"),
    ("post", f"{V}/uploads"), ("get", f"{V}/search/count"),
)


class _Loader(yaml.SafeLoader):
    """Zendesk's document writes `change: =`, which YAML 1.1 reads as its `value` tag."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(
    node))  # type: ignore[arg-type]


@cache
def document() -> dict[str, Any] | None:
    """The extract of the document TICKETFLOW_ZENDESK_OPENAPI names, or None without one."""
    if not DOCUMENT or not Path(DOCUMENT).exists():
        return None
    text = Path(DOCUMENT).read_text(encoding="utf-8")
    spec = json.loads(text) if DOCUMENT.endswith(".json") else yaml.load(
        text, Loader=_Loader)  # a SafeLoader subclass
    found = extract(spec, OPERATIONS)
    # Where the document contradicts Zendesk, follow Zendesk and say so: a ticket's priority
    # and type are null until set (the document marks them nullable, but its enums leave null
    # out, which OpenAPI 3.0 validators then refuse).
    ticket = found["components"]["schemas"]["TicketObject"]["properties"]
    for name in _NULLABLE_ENUMS:
        ticket[name]["enum"] = [*ticket[name]["enum"], None]
    return found


_NULLABLE_ENUMS = ("priority", "type")
