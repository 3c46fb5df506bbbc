"""Routes for tickets: create, show, update, list by external id, show many, comments, audits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.sandbox.routing import Reply, Request, Route
from connector.sandbox.zendesk.errors import bad_value
from connector.sandbox.zendesk.paging import page_of
from connector.sandbox.zendesk.render import Renderer
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


def show(app: ZendeskApp, req: Request) -> Reply:
    """One ticket."""
    return Reply(body={"ticket": Renderer(app.base_url).ticket(app.store.ticket(
        req.params["id"]))})


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
    page["tickets"] = [r.ticket(t) for t in page["tickets"]]
    return Reply(body=page)


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
    return Reply(body={"tickets": [r.ticket(t) for t in tickets]})


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
    page[key] = [render(item) for item in page[key]]
    return Reply(body=page)


ROUTES = [
    Route("GET", "/api/v2/tickets", list_tickets),
    Route("POST", "/api/v2/tickets", create),
    Route("GET", "/api/v2/tickets/show_many", show_many),
    Route("GET", "/api/v2/tickets/{id}", show),
    Route("PUT", "/api/v2/tickets/{id}", update),
    Route("GET", "/api/v2/tickets/{id}/comments", comments),
    Route("GET", "/api/v2/tickets/{id}/audits", audits),
]
