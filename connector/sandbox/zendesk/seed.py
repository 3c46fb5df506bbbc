"""Seeding: sample tickets from the sample requests, fast and without HTTP."""

from __future__ import annotations

from connector.sandbox.samples import sample
from connector.sandbox.zendesk.bootstrap import add_user
from connector.sandbox.zendesk.model import Audit, Comment, Ticket
from connector.sandbox.zendesk.store import Store

WEB_VIA = {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}}


def seed_tickets(store: Store, count: int) -> list[int]:
    """Create `count` tickets as customers submitted them (web form), status new, now.

    Each has its first comment and a creation audit, so both change feeds show it.
    """
    new = store.default_status("new")
    now = store.now()
    ids: list[int] = []
    for _ in range(count):
        request = sample(store.counters["ticket"])
        customer = store.user_by_email(request.email()) or add_user(
            store, request.email(), "end-user", request.customer)
        ticket_id = store.next_id("ticket")
        audit_id = store.next_id("audit")
        comment = Comment(store.next_id("comment"), customer.id, request.description, True,
                          now, audit_id)
        ticket = Ticket(id=ticket_id, subject=request.summary, description=request.description,
                        status="new", custom_status_id=new.id, requester_id=customer.id,
                        submitter_id=customer.id, created=now, updated=now, generated=now,
                        via=WEB_VIA, comments=[comment])
        events = [{"id": comment.id, "type": "Comment", "author_id": customer.id,
                   "body": comment.body, "plain_body": comment.body, "public": True,
                   "attachments": [], "audit_id": audit_id}]
        events += [{"id": store.next_id("comment"), "type": "Create", "field_name": name,
                    "value": value} for name, value in (
                        ("subject", ticket.subject), ("status", "new"),
                        ("custom_status_id", str(new.id)), ("requester_id", str(customer.id)))]
        store.add_ticket(ticket)
        store.add_audit(ticket, Audit(audit_id, ticket_id, customer.id, now, WEB_VIA, events),
                        announce=False)  # as if imported: no webhooks
        ids.append(ticket_id)
    return ids
