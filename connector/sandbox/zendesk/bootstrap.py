"""The starting state: the people, Zendesk's five default statuses and its system fields.

Nothing else: ticketflow's `install-scheme` creates the workflow's statuses, fields and groups.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.sandbox.accounts import API_USER, API_USER_NAME
from connector.sandbox.samples import SAMPLE_REQUESTS
from connector.sandbox.zendesk.model import CustomStatus, TicketField, User
from connector.sandbox.zendesk.store import Store

# Every account with custom ticket statuses has one default status per category.
_DEFAULT_STATUSES = (("new", "New"), ("open", "Open"), ("pending", "Pending"),
                     ("hold", "On-hold"), ("solved", "Solved"))
# The system ticket fields `GET ticket_fields` always lists, by type and title.
_SYSTEM_FIELDS = (("subject", "Subject"), ("description", "Description"),
                  ("status", "Status"), ("custom_status", "Ticket status"),
                  ("tickettype", "Type"), ("priority", "Priority"), ("group", "Group"),
                  ("assignee", "Assignee"))
END_USERS = 3  # the customers of the first sample requests


def display_name(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(p.capitalize() for p in local.replace("_", ".").split("."))


def populate(store: Store, *, agent_emails: Sequence[str]) -> None:
    """Fill an empty store: the API user (an admin), the agents, a few end users."""
    now = store.now()
    admin = add_user(store, API_USER, "admin", API_USER_NAME)
    store.me = store.api_user = admin.id
    for email in agent_emails:
        if email != API_USER:
            add_user(store, email, "agent")
    for request in SAMPLE_REQUESTS[:END_USERS]:
        add_user(store, request.email(), "end-user", request.customer)
    for category, label in _DEFAULT_STATUSES:
        status_id = store.next_id("status")
        store.statuses[status_id] = CustomStatus(
            status_id, category, label, label, "", "", now, now, active=True, default=True)
    for position, (kind, title) in enumerate(_SYSTEM_FIELDS):
        field_id = store.next_id("field")
        store.fields[field_id] = TicketField(field_id, kind, title, "", now, now, position,
                                             system=True, required=kind == "subject")


def add_user(store: Store, email: str, role: str, name: str | None = None) -> User:
    now = store.now()
    user = User(store.next_id("user"), name or display_name(email), email, role, now, now)
    store.users[user.id] = user
    return user
