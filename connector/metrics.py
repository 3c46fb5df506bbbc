"""Metrics: per-process counters here, durable counts read from the state at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from connector.errors import TicketflowError
from connector.mail.pause import CHANNELS
from connector.state.sql import Database
from connector.state.timestamps import from_text

REGISTRY = CollectorRegistry(auto_describe=True)

CYCLES = Counter("ticketflow_cycles", "Cycles run, by result.", ["result"], registry=REGISTRY)
CYCLE_SECONDS = Histogram("ticketflow_cycle_duration_seconds", "Time one cycle took.",
                          buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300), registry=REGISTRY)
JOB_ERRORS = Counter("ticketflow_job_errors", "Service jobs that raised, by job.", ["job"],
                     registry=REGISTRY)
TRACKER_REQUESTS = Counter("ticketflow_tracker_requests",
                           "Requests to the tracker, by outcome (ok, rate_limited, server_error, "
                           "client_error, connection_error).", ["outcome"], registry=REGISTRY)
RATE_LIMIT_WAITS = Counter("ticketflow_rate_limit_waits",
                           "Waits because the tracker answered 429 or 503.", registry=REGISTRY)
RATE_LIMIT_SECONDS = Counter("ticketflow_rate_limit_wait_seconds",
                             "Seconds spent waiting on the tracker's rate limits.",
                             registry=REGISTRY)
WEBHOOKS = Counter("ticketflow_webhooks", "Webhooks received at /hooks/, by tracker and outcome "
                   "(accepted, unsigned, bad_signature, stale, replayed, too_large, "
                   "rate_limited).", ["tracker", "outcome"], registry=REGISTRY)
LEADER = Gauge("ticketflow_leader", "1 while this replica holds the state's lease and acts, "
               "0 while it stands by.", registry=REGISTRY)
WOKEN_POLLS = Counter("ticketflow_woken_polls", "Polls started early because a webhook asked.",
                      registry=REGISTRY)


def tracker_requests() -> float:
    """Requests to the tracker so far in this process, whatever their outcome."""
    return sum(sample.value for family in TRACKER_REQUESTS.collect()
               for sample in family.samples if sample.name.endswith("_total"))


def outcome_of_status(status: int | None) -> str:
    """The `outcome` label of one answered (or unanswered) request."""
    if status is None:
        return "connection_error"
    if status in (429, 503):
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return "client_error" if status >= 400 else "ok"


# The configuration `run` is on (connector.sync.reload): set at start and on every switch.
CONFIG_GENERATION = Gauge("ticketflow_config_generation",
                          "Configurations run since start: 1, then one more for each edit "
                          "switched to.", registry=REGISTRY)
CONFIG_INFO = Gauge("ticketflow_config_info", "The active configuration (value 1), labelled "
                    "with its digest: the SHA-256 of its files.", ["digest"], registry=REGISTRY)
CONFIG_REJECTED = Gauge("ticketflow_config_rejected", "1 while an edited configuration is "
                        "refused (the last good one runs on), else 0.", registry=REGISTRY)


def _count(db: Database, sql: str) -> list[tuple[str, ...]]:
    try:
        return [tuple(str(v) for v in row) for row in db.execute(sql).fetchall()]
    except TicketflowError:  # a table a newer feature adds is not there yet
        return []


class StateCollector(Collector):
    """Counts kept in the state (a SQLite file or PostgreSQL), read through a read-only
    connection per scrape (so they survive restarts and never contend with the service's
    own connection)."""

    def __init__(self, open_reader: Callable[[], Database | None], *,
                 now: Callable[[], datetime]) -> None:
        """`open_reader`: a new read-only connection to the state (None while there is none),
        from the composition root."""
        self.open_reader = open_reader
        self.now = now

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        reader = self.open_reader()
        if reader is None:
            return
        with closing(reader) as db:
            yield from self._rules(db)
            yield from self._messages(db)
            yield from self._mail(db)
            yield from self._progress(db)

    def _rules(self, db: Database) -> Iterator[CounterMetricFamily]:
        fired = CounterMetricFamily("ticketflow_rule_actions", "Actions rules planned, by rule, "
                                    "status (done, failed, skipped, pending, blocked, "
                                    "superseded) and the ticket's project (- for a ticket "
                                    "not in the mirror).",
                                    labels=["rule", "status", "project"])
        for rule, status, project, count in _count(
                db, "SELECT l.rule, l.status, coalesce(t.project, '-'), count(*) FROM ledger l "
                "LEFT JOIN tickets t ON t.key = l.issue_key GROUP BY 1, 2, 3"):
            fired.add_metric([rule, status, project], float(count))
        yield fired

    def _messages(self, db: Database) -> Iterator[CounterMetricFamily]:
        messages = CounterMetricFamily("ticketflow_messages", "Messages by template, status "
                                       "(sent, failed, pending, dropped) and the ticket's "
                                       "project.", labels=["template", "status", "project"])
        for template, status, project, count in _count(
                db, "SELECT o.template, o.status, coalesce(t.project, '-'), count(*) "
                "FROM outbox o "
                "LEFT JOIN tickets t ON t.key = o.issue_key GROUP BY 1, 2, 3"):
            messages.add_metric([template, status, project], float(count))
        yield messages

    def _mail(self, db: Database) -> Iterator[CounterMetricFamily]:
        mail = CounterMetricFamily("ticketflow_mail_ingested", "Mail read from the mailbox, by "
                                   "outcome (ticket, comment, quarantine) and reason (the kind "
                                   "of mail, or why it was quarantined).",
                                   labels=["outcome", "reason"])
        counts: dict[tuple[str, str], float] = {}
        for outcome, kind, reason, count in _count(
                db, "SELECT outcome, kind, reason, count(*) FROM mail_intake "
                "WHERE state = 'done' GROUP BY outcome, kind, reason"):
            label = _reason_label(reason) if outcome == "quarantine" else kind
            counts[(outcome, label)] = counts.get((outcome, label), 0.0) + float(count)
        for labels, value in sorted(counts.items()):
            mail.add_metric(list(labels), value)
        yield mail

    def _progress(self, db: Database) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily("ticketflow_bookmark_lag_seconds",
                                "How far the poll bookmark is behind now, per project (for "
                                "trackers whose bookmark is an instant, as Jira's is).",
                                labels=["project"])
        for project, position in _count(db, "SELECT project, position FROM bookmarks"):
            at = _instant(position)
            if at is not None:
                lag.add_metric([project], max((self.now() - at).total_seconds(), 0.0))
        yield lag
        opened = GaugeMetricFamily("ticketflow_open_tickets", "Open tickets in the mirror, "
                                   "per project.", labels=["project"])
        for project, count in _count(db, "SELECT project, count(*) FROM tickets WHERE open = 1 "
                                     "GROUP BY project"):
            opened.add_metric([project], float(count))
        yield opened
        gap = GaugeMetricFamily("ticketflow_census_gap",
                                "Open tickets in the tracker minus open tickets in the mirror "
                                "at the last census.")
        for (value,) in _count(db, "SELECT sum(gap) FROM censuses HAVING count(*) > 0"):
            gap.add_metric([], float(value))
        yield gap
        yield self._paused(db)

    def _paused(self, db: Database) -> GaugeMetricFamily:
        paused = GaugeMetricFamily("ticketflow_delivery_paused_seconds",
                                   "How long delivery on a channel (mail, webhook) has been "
                                   "paused by an outage of its server; 0 when it is not.",
                                   labels=["channel"])
        since = {row[0]: row[1] for row in _count(db, "SELECT channel, since FROM delivery_pauses")}
        for channel in CHANNELS:
            seconds = (self.now() - from_text(since[channel])).total_seconds() \
                if channel in since else 0.0
            paused.add_metric([channel], max(seconds, 0.0))
        return paused


def _reason_label(reason: str) -> str:
    """A quarantine reason's leading phrase: addresses and details would make every mail a
    new time series."""
    for stop in ("(", ":", ";"):
        reason = reason.split(stop, 1)[0]
    return reason.strip()[:60] or "unknown"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _instant(position: str) -> datetime | None:
    """A bookmark that is an instant (Jira's), else None (a cursor says nothing of time)."""
    try:
        at = datetime.fromisoformat(position)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
