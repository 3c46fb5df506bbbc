"""The Jira sandbox: Cloud and Data Center flavors of the REST API ticketflow uses.

Two flavors. ``cloud`` serves REST v2 and v3 (``latest`` reads as v2), enhanced search
``/search/jql`` with ``nextPageToken``, the removed ``/search`` answering 410 as Cloud does,
changelog bulk fetch, approximate counts, status and workflow creation and ADF rich text on v3.
``datacenter`` serves REST v2 only: ``/search`` with ``startAt``/``maxResults``/``total``,
read-only statuses and workflows (writes answer 404/405 as there), writable workflow schemes
and wiki-markup strings.

Credentials: Cloud takes basic auth ``sandbox@example.test`` / ``sandbox-token``; Data Center
takes ``Authorization: Bearer sandbox-token``. Every other seeded user can act too (so scripted
engineers' changes are theirs, not the API user's): on Cloud with their e-mail and the same
token, on Data Center with the personal token ``sandbox-token-<name>``
(``sandbox-token-bob``). Anything else is a 401 (``serverInfo`` also answers anonymous
callers, as Jira does). Cloud names users by ``accountId`` (stable, derived
from the e-mail); Data Center by ``name`` (the e-mail) and ``key``.

Starting state: company-managed project ``HELP`` (id 10000) with issue type ``Service
Request`` (10004); statuses To Do (10001), In Progress (10002), Done (10003); workflow
"HELP: Default workflow" with global transitions 11/21/31 (any status to any) in scheme 10000.
Fields: the usual system fields plus customfield_10070 Category (string), _10071 Tier
(number), _10072 Customer email (string), _10073 Satisfaction (number).

Behaviour copied from Jira because clients depend on it:

- every change stamps ``updated`` from the sandbox clock and writes one changelog history
  (ids increasing; status items carry status ids in from/to); creating writes none;
  comments bump ``updated`` without a history; issue properties (also accepted as
  ``properties`` on create, edit and transition) change neither;
- transitions are listed and allowed only from the current status by the project's
  workflow; others get 400 ``Transition id 'N' is not valid for this issue.``; fields cannot
  be set on a transition (no screens); entering a Done-category status sets resolution Done,
  leaving one clears it;
- dates are written ``2026-11-26T10:15:30.123-0600``, in the API user's time zone;
- enhanced search returns only ``id`` unless ``fields`` says otherwise; ``maxResults``
  defaults to 50 and is capped at 5000 when only id/key are asked for, else 100; the last
  page has ``isLast: true`` and no ``nextPageToken`` (tokens are opaque and tied to their
  JQL); JQL without a restriction is a 400;
  ``expand=changelog`` in search embeds only the 40 newest histories (and 20 newest
  comments); GET issue on Cloud embeds the 100 newest histories, newest first; Data Center
  embeds all, oldest first; ``/issue/{key}/changelog`` and ``/changelog/bulkfetch`` give all,
  oldest first;
- searches (both flavors) embed only the 20 newest comments, with the true ``total`` and the
  ``startAt`` of the first shown; GET issue embeds all; ``/issue/{key}/comment`` pages with
  ``startAt``/``maxResults``/``orderBy`` (Cloud: 100 a page by default and at most; Data
  Center: all unless ``maxResults`` says);
- comment properties are read per comment (``/comment/{id}/properties``); comment lists carry
  none on Cloud whatever ``expand`` says, and on Data Center only with ``expand=properties``;
  project properties live at ``/project/{key}/properties``;
- ``/user/assignable/search`` (Cloud ``query``, Data Center ``username``; ``project`` or an
  issue) leaves out users who may not be assigned in the project, and assigning one is a 400;
  unless a user list is given, ``robin.reader@example.edu`` is such a user in HELP, and a
  project added with ``unassignable`` people has those;
- admin webhooks (``/rest/webhooks/1.0/webhook``) are posted signed from a background thread;
  see ``connector.sandbox.jira.webhooks`` for what Jira does and what the sandbox simplifies;
- Data Center ``/search`` caps ``maxResults`` at 1000;
- JQL: see ``connector.sandbox.jira.query`` for exactly what is supported; anything else is a
  400 ``{"errorMessages": [...], "errors": {}}`` in Jira's words.

Its own control endpoints (beside the shared ones): ``GET|DELETE /_sandbox/notifications``;
``GET|POST /_sandbox/timezone``; ``POST /_sandbox/projects`` (``{"key": "OPS", "name": ...,
"unassignable": [e-mails]}``,
a project like HELP; JQL ``project in ("HELP", "OPS")`` then covers both); ``POST
/_sandbox/webhooks`` (``{"url", "secret", "events", "jql"}``); ``POST /_sandbox/seed`` also
takes ``status``, ``start``, ``step_seconds`` and ``project``.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.sandbox import control
from connector.sandbox.clock import SandboxClock
from connector.sandbox.jira import (
    routes_admin,
    routes_comments,
    routes_control,
    routes_issues,
    routes_meta,
    routes_properties,
    routes_search,
    webhooks,
)
from connector.sandbox.jira.app import JiraApp
from connector.sandbox.jira.model import Flavor

ROUTES = (routes_meta.ROUTES + routes_issues.ROUTES + routes_comments.ROUTES
          + routes_properties.ROUTES + routes_search.ROUTES + routes_admin.ROUTES
          + webhooks.ROUTES)
CONTROL_ROUTES = control.ROUTES + routes_control.ROUTES + webhooks.CONTROL_ROUTES


def make_app(*, flavor: Flavor, clock: SandboxClock, user_emails: Sequence[str],
             time_zone: str, observer_emails: Sequence[str] = ()) -> JiraApp:
    """A Jira sandbox application with every route of the flavor."""
    return JiraApp(flavor=flavor, clock=clock, user_emails=user_emails, time_zone=time_zone,
                   routes=ROUTES, control_routes=CONTROL_ROUTES,
                   observer_emails=observer_emails)
