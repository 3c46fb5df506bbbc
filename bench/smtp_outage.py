"""What an SMTP outage and a hanging SMTP server cost delivery, against a real socket server.

1. A server that accepts connections and never answers, with N messages queued: how long one
   delivery pass takes and how many connections it opens (one timeout, not N).
2. A server refusing service (421) for H hours, a delivery pass every 30 simulated seconds:
   how many connections delivery tries, how many messages end failed, and how long after
   recovery every message has been sent (and how many times each).

Run:  .venv/bin/python bench/smtp_outage.py [--quick] [--messages N] [--hours H]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table, write
from smtp_faults import FaultySmtp

from connector.mail.outbox import deliver
from connector.mail.smtp import SmtpMailer, SmtpTarget
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SENDER = "redcap_helpdesk@example.edu"
PASS_EVERY = timedelta(seconds=30)  # TICKETFLOW_DELIVERY_INTERVAL's default


def _queue(store: SqliteStateStore, count: int) -> None:
    store.commit(Transaction(outbox=[
        OutboxMessage(id=None, effect_key=f"e{n}", issue_key=f"HELP-{n}",
                      template="request_submitted", recipient=f"user{n}@uni.example.edu",
                      message=(f"From: {SENDER}\r\nTo: user{n}@uni.example.edu\r\n"
                               f"Subject: [HELP-{n}] We received your request: x\r\n"
                               f"Message-ID: <e{n}@example.edu>\r\n\r\nHello\r\n").encode(),
                      created_at=NOW)
        for n in range(count)]))


def hanging(folder: Path, messages: int, timeout: float) -> dict[str, float]:
    """One pass against a server that never answers."""
    folder.mkdir(parents=True)
    server = FaultySmtp(folder / "received")
    server.mode = "hang"
    store = SqliteStateStore(folder / "hang.db")
    try:
        _queue(store, messages)
        mailer = SmtpMailer(SmtpTarget.parse(server.url(timeout)), password=None)
        started = time.perf_counter()
        result = deliver(store, mailer, sender=SENDER, now=NOW)
        seconds = time.perf_counter() - started
        return {"seconds": round(seconds, 2), "connections": server.hung,
                "pending": store.outbox_counts().get("pending", 0),
                "paused": bool(result.error), "before": messages * timeout}
    finally:
        store.close()
        server.close()


def outage(folder: Path, messages: int, hours: float) -> dict[str, float]:
    """Passes every 30 s through `hours` of 421, then until everything is sent."""
    folder.mkdir(parents=True)
    server = FaultySmtp(folder / "received")
    store = SqliteStateStore(folder / "outage.db")
    try:
        _queue(store, messages)
        mailer = SmtpMailer(SmtpTarget.parse(server.url(5)), password=None)
        server.mode = "refuse"
        now, passes = NOW, 0
        while now < NOW + timedelta(hours=hours):
            deliver(store, mailer, sender=SENDER, now=now)
            now, passes = now + PASS_EVERY, passes + 1
        tried, failed = server.refused, store.outbox_counts().get("failed", 0)
        server.mode = "up"
        back = now
        while store.outbox_counts().get("pending", 0):
            deliver(store, mailer, sender=SENDER, now=now)
            now += PASS_EVERY
        copies = Counter(p.name.split("-")[1] for p in (folder / "received").glob("*.eml"))
        return {"passes": passes, "connections": tried, "failed": failed,
                "minutes_to_all_sent": round((now - back).total_seconds() / 60, 1),
                "sent": sum(copies.values()), "most_copies": max(copies.values())}
    finally:
        store.close()
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 messages, 1 s timeout")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--timeout", type=float)
    args = parser.parse_args(argv)
    logging.getLogger("connector").setLevel(logging.ERROR)  # the pause warnings, every try
    messages = args.messages or (20 if args.quick else 100)
    timeout = args.timeout or (1.0 if args.quick else 5.0)
    with tempfile.TemporaryDirectory() as folder:
        hang = hanging(Path(folder) / "hang", messages, timeout)
        down = outage(Path(folder) / "down", messages, args.hours)
    rows = [["situation", "figure"],
            [f"hanging server, {messages} queued, {timeout:g} s timeout: one pass",
             f"{hang['seconds']} s, {hang['connections']} connection (a timeout per "
             f"message: {hang['before']:g} s); {hang['pending']} still pending, "
             f"paused: {hang['paused']}"],
            [f"{args.hours:g} h of 421, a pass every 30 s ({down['passes']} passes)",
             f"{down['connections']} connections tried, {down['failed']} messages failed"],
            ["after recovery", f"all {down['sent']} sent within "
             f"{down['minutes_to_all_sent']:g} min, at most {down['most_copies']} copy each"]]
    print(table(rows))
    path = write("smtp_outage" + ("_quick" if args.quick else ""), {
        "messages": messages, "timeout": timeout, "hours": args.hours, "hanging": hang,
        "outage": down})
    print(f"written to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
