"""The Zendesk Support sandbox: the Support API ticketflow uses, under `/api/v2/`.

Paths answer with or without `.json`. JSON shapes and errors are Zendesk's: `{"error",
"description"}`, 422 `RecordInvalid` with `details`, 404 `RecordNotFound`, 401 `{"error":
"Couldn't authenticate you"}`, 429 `APIRateLimitExceeded` with `Retry-After`. Timestamps are
ISO 8601 to the second in UTC, stamped from the sandbox clock.

Credentials: API tokens as basic auth `EMAIL/token:sandbox-token`, for the admin
`sandbox@example.test` and every agent (the people of the shipped mappings.yaml); OAuth as
`Authorization: Bearer sandbox-token` (admin) or `sandbox-token-<name>` (an agent).

Serves: `users/me`, `users/{id}`, `users/search?query=email:...`,
`users/{id}/group_memberships`; `groups` and `group_memberships` (list, create; admins
create); `custom_statuses` (list with filters, create, show); `ticket_fields` (list, create
with `custom_field_options`, show); `tickets` (create, show, update, list with
`external_id=`), `tickets/show_many?ids=`, `tickets/{id}/comments` and `tickets/{id}/audits`
(offset paging with `page`/`per_page`, or cursor paging with `page[size]`/`page[after]`);
`incremental/tickets/cursor` and `incremental/ticket_events` (see `incremental`); `webhooks`
(see `webhooks`). Ticket behaviour is described in `tickets`.

Starting state: the admin, the agents, three end users (customers of the sample requests),
Zendesk's five default custom statuses (New, Open, Pending, On-hold, Solved) and its system
ticket fields; no groups, no custom fields, no tickets.

Its own control endpoints (beside the shared ones): `POST /_sandbox/limits`
(`{"incremental_per_minute": N or null}`); `POST /_sandbox/seed` (`{"count": N}`) creates
sample tickets from end users.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.sandbox import control
from connector.sandbox.clock import SandboxClock
from connector.sandbox.zendesk import (
    incremental,
    routes_catalogue,
    routes_people,
    routes_tickets,
    webhooks,
)
from connector.sandbox.zendesk.app import ZendeskApp

ROUTES = (routes_people.ROUTES + routes_tickets.ROUTES + routes_catalogue.ROUTES
          + incremental.ROUTES + webhooks.ROUTES)
CONTROL_ROUTES = control.ROUTES + incremental.CONTROL_ROUTES


def make_app(*, clock: SandboxClock, agent_emails: Sequence[str]) -> ZendeskApp:
    """A Zendesk sandbox application with every route."""
    return ZendeskApp(clock=clock, agent_emails=agent_emails, routes=ROUTES,
                      control_routes=CONTROL_ROUTES)
