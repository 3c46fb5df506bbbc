"""Routes for tickets: create, show, update, list by external id, show many, comments, audits,
the search count and uploads."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from connector.sandbox.routing import Reply, Request, Route
from connector.sandbox.zendesk.errors import bad_value
from connector.sandbox.zendesk.model import Ticket, Upload
from connector.sandbox.zendesk.paging import page_of
from connector.sandbox.zendesk.render import Renderer, attachment_json
from connector.sandbox.zendesk.routes_people import sideload_users
from connector.sandbox.zendesk.tickets import TicketWriter, ticket_payload

if TYPE_CHECKING:
    from connector.sandbox.zendesk.app import ZendeskApp

SHOW_MANY_MAX = 100


def create(app: ZendeskApp, req: Request) -> Reply:
    """Create a ticket; its first comment is the description. Answers 201 with the audit."""
    ticket, audit = TicketWriter(app.store).create(ticket_payload(req.json()))
    r = Renderer(app.base_url)
    return Reply(201, {"ticket": r.ticket(ticket), "audit": r.audit(audit)},
                 headers={"Location": f"{r.api}/tickets/{ticket.id}.json"})


def people_of(tickets: Iterable[Ticket]) -> list[int | None]:
    """The users a ticket names, for `include=users`."""
    return [i for t in tickets for i in (t.requester_id, t.submitter_id, t.assignee_id)]


def show(app: ZendeskApp, req: Request) -> Reply:
    """One ticket (`include=users` adds its people)."""
    ticket = app.store.ticket(req.params["id"])
    body = {"ticket": Renderer(app.base_url).ticket(ticket)}
    return Reply(body=sideload_users(app, req, body, people_of([ticket])))


def update(app: ZendeskApp, req: Request) -> Reply:
    """Change fields and add a comment (public or private) in one request."""
    ticket = app.store.ticket(req.params["id"])
    ticket, audit = TicketWriter(app.store).update(ticket, ticket_payload(req.json()))
    r = Renderer(app.base_url)
    body = {"ticket": r.ticket(ticket)}
    if audit is not None:
        body["audit"] = r.audit(audit)
    return Reply(body=body)


def list_tickets(app: ZendeskApp, req: Request) -> Reply:
    """Tickets by id (oldest first), or those with an `external_id`."""
    found = list(app.store.tickets.values())
    external = req.arg("external_id")
    if external is not None:
        found = [t for t in found if t.external_id == external]
    r = Renderer(app.base_url)
    page = page_of(req, f"{r.api}/tickets.json", "tickets", found)
    shown = page["tickets"]
    page["tickets"] = [r.ticket(t) for t in shown]
    return Reply(body=sideload_users(app, req, page, people_of(shown)))


def show_many(app: ZendeskApp, req: Request) -> Reply:
    """`ids=1,2,3`: those tickets that exist, at most 100."""
    raw = [i for value in req.args("ids") for i in value.split(",") if i.strip()]
    if not raw:
        raise bad_value("ids is required")
    if len(raw) > SHOW_MANY_MAX:
        raise bad_value(f"ids takes at most {SHOW_MANY_MAX} ticket ids")
    r = Renderer(app.base_url)
    tickets = [app.store.tickets[int(i)] for i in raw
               if i.strip().isdigit() and int(i) in app.store.tickets]
    body = {"tickets": [r.ticket(t) for t in tickets]}
    return Reply(body=sideload_users(app, req, body, people_of(tickets)))


def comments(app: ZendeskApp, req: Request) -> Reply:
    """A ticket's comments, oldest first (`sort_order=desc` for newest first), paged."""
    return _history(app, req, "comments")


def audits(app: ZendeskApp, req: Request) -> Reply:
    """A ticket's audits, oldest first (`sort_order=desc` for newest first), paged."""
    return _history(app, req, "audits")


def _history(app: ZendeskApp, req: Request, key: str) -> Reply:
    ticket = app.store.ticket(req.params["id"])
    ordered = list(getattr(ticket, key))
    if req.arg("sort_order") == "desc":
        ordered.reverse()
    r = Renderer(app.base_url)
    render = r.comment if key == "comments" else r.audit
    page = page_of(req, f"{r.api}/tickets/{ticket.id}/{key}.json", key, ordered)
    shown = page[key]
    page[key] = [render(item) for item in shown]
    return Reply(body=sideload_users(app, req, page, [i.author_id for i in shown]))


def count(app: ZendeskApp, req: Request) -> Reply:
    """`search/count`: tickets matching `type:ticket` with `status<solved`, `status:NAME` or
    `updated>5minutes` (`hours`, `days`: relative to now) terms (what ticketflow asks;
    Zendesk's search language is larger)."""
    query = (req.arg("query") or "").split()
    if "type:ticket" not in query:
        raise bad_value("the sandbox counts tickets only: expected type:ticket in the query")
    found = list(app.store.tickets.values())
    for term in query:
        if term.startswith("status<"):
            limit = _ORDER.index(term.removeprefix("status<"))
            found = [t for t in found if _ORDER.index(t.status) < limit]
        elif term.startswith("status:"):
            found = [t for t in found if t.status == term.removeprefix("status:")]
        elif recent := _RECENT.fullmatch(term):
            since = app.store.now() - int(recent[1]) * _UNIT[recent[2]]
            found = [t for t in found if t.updated > since]
        elif term != "type:ticket":
            raise bad_value(f"the sandbox does not search for {term}")
    return Reply(body={"count": len(found)})


_ORDER = ("new", "open", "pending", "hold", "solved", "closed")
_RECENT = re.compile(r"updated>(\d+)(minutes|hours|days)")
_UNIT = {"minutes": 60, "hours": 3600, "days": 86400}


def upload(app: ZendeskApp, req: Request) -> Reply:
    """`POST uploads?filename=NAME` with the file as the body: a token a comment's
    `uploads` attaches it with, the attachment, and the upload's attachments, as "Upload
    Files" documents the answer (developer.zendesk.com/api-reference/ticketing/tickets/
    ticket-attachments/#upload-files; no expiry instant in it)."""
    name = (req.arg("filename") or "").strip()
    if not name:
        raise bad_value("filename is required")
    made = Upload(secrets.token_hex(12), app.store.next_id("upload"), name,
                  req.header("Content-Type", "application/binary"), len(req.body))
    app.store.uploads[made.token] = made
    return Reply(201, {"upload": {"token": made.token,
                                  "attachment": attachment_json(made),
                                  "attachments": [attachment_json(made)]}})


ROUTES = [
    Route("GET", "/api/v2/tickets", list_tickets),
    Route("POST", "/api/v2/tickets", create),
    Route("GET", "/api/v2/tickets/show_many", show_many),
    Route("GET", "/api/v2/tickets/{id}", show),
    Route("PUT", "/api/v2/tickets/{id}", update),
    Route("GET", "/api/v2/tickets/{id}/comments", comments),
    Route("GET", "/api/v2/tickets/{id}/audits", audits),
    Route("GET", "/api/v2/search/count", count),
    Route("POST", "/api/v2/uploads", upload),
]
