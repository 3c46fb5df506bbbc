"""/metrics reads durable counts from the state file: they survive restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from connector.domain import Ticket
from connector.metrics import StateCollector
from connector.state.base import Bookmark, Effect, Transaction
from connector.state.location import open_reader
from connector.state.sqlite import SqliteStateStore

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


def test_counts_by_rule_mail_outcome_and_bookmark_lag(tmp_path: Path) -> None:
    """Rule actions by rule and status, mail by outcome and a bounded reason, bookmark lag and
    the census gap, read through a read-only connection from what the service wrote."""
    store = SqliteStateStore(tmp_path / "state.db")
    store.commit(Transaction(
        effects=[Effect("HELP-1|acknowledge|created|0:notify", "HELP-1", "acknowledge",
                        "0:notify", "created", created_at=NOW)],
        bookmark=Bookmark("HELP", (NOW - timedelta(seconds=90)).isoformat(), True)))
    rows = [("m1", "ticket", "ordinary", ""), ("m2", "comment", "reply", ""),
            ("m3", "quarantine", "bounce",
             "a bounce for no known ticket (recipients: x@example.edu)"),
            ("m4", "quarantine", "bounce", "a bounce for no known ticket (recipients: y@ex)")]
    for key, outcome, kind, reason in rows:
        store.db.execute(
            "INSERT INTO mail_intake (mail_key, mailbox, ref, kind, state, outcome, reason, "
            "received_at) VALUES (?, 'INBOX', ?, ?, 'done', ?, ?, ?)",
            (key, key, kind, outcome, reason, NOW.isoformat()))
    store.record_census("HELP", at=NOW, gap=2)
    store.close()
    registry = CollectorRegistry()
    registry.register(StateCollector(lambda: open_reader(tmp_path / "state.db"), now=lambda: NOW))
    text = generate_latest(registry).decode()
    assert ('ticketflow_rule_actions_total{project="-",rule="acknowledge",status="pending"} '
            "1.0") in text
    assert 'ticketflow_mail_ingested_total{outcome="ticket",reason="ordinary"} 1.0' in text
    assert ('ticketflow_mail_ingested_total{outcome="quarantine",'
            'reason="a bounce for no known ticket"} 2.0') in text
    assert 'ticketflow_bookmark_lag_seconds{project="HELP"} 90.0' in text
    assert "ticketflow_census_gap 2.0" in text


def test_how_long_delivery_has_been_paused(tmp_path: Path) -> None:
    """An outage of the mail server shows as the seconds since delivery paused, per channel;
    a channel that is not paused shows 0, so an alert can fire on the value alone."""
    from connector.mail.pause import Pauses

    store = SqliteStateStore(tmp_path / "state.db")
    Pauses(store).record("mail", NOW - timedelta(minutes=30), "SMTP x:587: TimeoutError")
    Pauses(store).record("mail", NOW - timedelta(minutes=20), "SMTP x:587: TimeoutError")
    store.close()
    registry = CollectorRegistry()
    registry.register(StateCollector(lambda: open_reader(tmp_path / "state.db"), now=lambda: NOW))
    text = generate_latest(registry).decode()
    assert 'ticketflow_delivery_paused_seconds{channel="mail"} 1800.0' in text
    assert 'ticketflow_delivery_paused_seconds{channel="webhook"} 0.0' in text


def test_counts_per_ticket_are_labelled_with_the_tickets_project(tmp_path: Path) -> None:
    """With two projects, rule actions and open tickets are counted per project: the ledger
    rows of HELP's and OPS's tickets land under their own `project` label."""
    store = SqliteStateStore(tmp_path / "state.db")
    tickets = [Ticket(str(n), key, key.split("-")[0], "Pending", NOW, NOW, NOW)
               for n, key in enumerate(["HELP-1", "HELP-2", "OPS-1"])]
    effects = [Effect(f"{t.key}|acknowledge|created|0:notify", t.key, "acknowledge",
                      "0:notify", "created", created_at=NOW) for t in tickets]
    store.commit(Transaction(tickets=tickets, effects=effects))
    store.close()
    registry = CollectorRegistry()
    registry.register(StateCollector(lambda: open_reader(tmp_path / "state.db"), now=lambda: NOW))
    text = generate_latest(registry).decode()
    assert ('ticketflow_rule_actions_total{project="HELP",rule="acknowledge",status="pending"} '
            "2.0") in text
    assert ('ticketflow_rule_actions_total{project="OPS",rule="acknowledge",status="pending"} '
            "1.0") in text
    assert 'ticketflow_open_tickets{project="HELP"} 2.0' in text
    assert 'ticketflow_open_tickets{project="OPS"} 1.0' in text
