"""The Jira sandbox: a loopback HTTP server that behaves like Jira for everything ticketflow uses.

Two flavors. ``cloud`` serves REST v2 and v3 (``latest`` reads as v2), enhanced search
``/search/jql`` with ``nextPageToken``, the removed ``/search`` answering 410 as Cloud does,
changelog bulk fetch, approximate counts, status and workflow creation and ADF rich text on v3.
``datacenter`` serves REST v2 only: ``/search`` with ``startAt``/``maxResults``/``total``,
read-only statuses and workflows (writes answer 404/405 as there), writable workflow schemes
and wiki-markup strings. Stdlib only; state lives in memory.

In-process use (tests, the demo, benchmarks)::

    from connector.sandbox import Sandbox
    with Sandbox("cloud", port=0, time_zone="America/Chicago", now=datetime(...)) as sb:
        JIRA(server=sb.url, basic_auth=(sb.email, sb.token), max_retries=0)

``Sandbox(flavor="cloud", *, host="127.0.0.1", port=0, time_zone="America/Chicago",
now=None, clock=None, users=None)``: ``now`` freezes the sandbox clock there (default: follow
``clock``, else the wall clock); ``users`` lists e-mail addresses (default: every
``roles.*.users`` entry of the shipped ``mappings.yaml``), besides the API user
``sandbox@example.test`` ("Sandbox Admin"). Methods: ``start()`` (daemon thread; returns
self), ``stop()``, context manager, ``url``, ``email``/``token``, ``auth_headers()``,
``reset()``, ``now()``, ``set_clock(dt)``, ``advance_clock(delta)``, ``follow_base_clock()``,
``set_faults(**settings)``, ``clear_faults()``, ``request_counts()``,
``reset_request_counts()``, ``notifications()``, ``set_time_zone(name)``,
``seed_issues(n, project="HELP", status=None, start=None, step=timedelta(minutes=1))``,
``store`` (the raw state, for assertions; hold ``store.lock``).

``serve(*, flavor, host, port)`` runs one in the foreground for ``ticketflow sandbox``: prints
the URL and credentials and returns 0 on Ctrl-C or SIGTERM.

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
- Data Center ``/search`` caps ``maxResults`` at 1000;
- JQL: see ``connector.sandbox.query`` for exactly what is supported; anything else is a
  400 ``{"errorMessages": [...], "errors": {}}`` in Jira's words.

Control endpoints (no credentials, not counted, no injected faults): ``POST
/_sandbox/reset``; ``GET|POST /_sandbox/clock`` (``{"now": ISO-8601}`` freezes,
``{"advance_seconds": N}``, ``{"frozen": false}``); ``GET|POST /_sandbox/faults``
(``rate_429``, ``rate_500``, ``rate_drop``, ``latency_ms``, ``retry_after``, ``seed``); ``GET
/_sandbox/requests`` and ``POST /_sandbox/requests/reset``; ``GET|DELETE
/_sandbox/notifications``; ``GET|POST /_sandbox/timezone``; ``POST /_sandbox/seed``
(``{"count": N, "status": ..., "start": ISO-8601, "step_seconds": 60}``).
"""

from connector.sandbox.bootstrap import API_TOKEN, API_USER, DEFAULT_TIME_ZONE
from connector.sandbox.faults import FaultConfig
from connector.sandbox.sandbox import Sandbox, serve

__all__ = ["API_TOKEN", "API_USER", "DEFAULT_TIME_ZONE", "FaultConfig", "Sandbox", "serve"]
