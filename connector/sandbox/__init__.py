"""Tracker sandboxes: loopback HTTP servers that behave like Jira (and Zendesk Support) for
everything ticketflow uses.

In-process use (tests, the demo, benchmarks)::

    from connector.sandbox import Sandbox
    with Sandbox("cloud", port=0, time_zone="America/Chicago", now=datetime(...)) as sb:
        JIRA(server=sb.url, basic_auth=(sb.email, sb.token), max_retries=0)

``Sandbox(flavor=None, *, tracker="jira", host="127.0.0.1", port=0,
time_zone="America/Chicago", now=None, clock=None, users=None)``: ``flavor`` is a Jira notion
(``cloud``, the default, or ``datacenter``); ``now`` freezes the sandbox clock there (default:
follow ``clock``, else the wall clock); ``users`` lists e-mail addresses (default: every
``roles.*.users`` entry of the shipped ``mappings.yaml``), besides the API user
``sandbox@example.test`` ("Sandbox Admin"). Methods for every tracker: ``start()`` (daemon
thread; returns self), ``stop()``, context manager, ``url``, ``email``/``token``,
``auth_headers()``, ``reset()``, ``now()``, ``set_clock(dt)``, ``advance_clock(delta)``,
``follow_base_clock()``, ``set_faults(**settings)``, ``clear_faults()``, ``request_counts()``,
``reset_request_counts()``, ``seed(n)`` (sample tickets), ``webhook_deliveries()``, ``store``
(the raw state, for assertions; hold ``store.lock``). Jira only: ``notifications()``,
``set_time_zone(name)``, ``seed_issues(n, project="HELP", status=None, start=None,
step=timedelta(minutes=1))`` (bulk, for benchmarks).

``serve(*, tracker="jira", flavor=None, host, port, seed=0)`` runs one in the foreground for
``ticketflow sandbox``: prints the URL and credentials and returns 0 on Ctrl-C or SIGTERM.

Layout: the pipeline (``application``), HTTP server, routing, clock, faults and request
counters, control endpoints and webhook sender are shared; ``jira/`` and ``zendesk/`` hold each
tracker's model and routes (their package docstrings say what they serve and how they behave).
``Sandbox(tracker="zendesk")`` takes no flavor.

Control endpoints (no credentials, not counted, no injected faults): ``GET /_sandbox/`` lists
them all with what each does; ``POST /_sandbox/reset``; ``GET|POST /_sandbox/clock``
(``{"now": ISO-8601}`` freezes, ``{"advance_seconds": N}``, ``{"frozen": false}``); ``GET|POST
/_sandbox/faults`` (``rate_429``, ``rate_500``, ``rate_503``, ``rate_drop``, ``latency_ms``,
``retry_after``, ``seed``); ``GET /_sandbox/requests`` (total, reads, writes, by method, by
endpoint, faults) and ``POST /_sandbox/requests/reset``; ``POST /_sandbox/seed``
(``{"count": N}``, sample tickets); ``GET /_sandbox/webhooks/deliveries``; plus each tracker's
own.
"""

from connector.sandbox.accounts import API_TOKEN, API_USER
from connector.sandbox.faults import FaultConfig
from connector.sandbox.jira.bootstrap import DEFAULT_TIME_ZONE
from connector.sandbox.sandbox import Sandbox, serve

__all__ = ["API_TOKEN", "API_USER", "DEFAULT_TIME_ZONE", "FaultConfig", "Sandbox", "serve"]
