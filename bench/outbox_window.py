"""How often a crash during delivery would repeat a message: time in the crash window.

The window runs from the SMTP server accepting a message to the outbox row saying so. A
crash at a random moment of delivery lands in it with probability window / delivery time,
and then repeats exactly one message (tests/integration/test_smtp_crash_window.py).

Run: .venv/bin/python bench/outbox_window.py [--messages 1000] [--runs 3]
Needs the test extra (aiosmtpd, trustme). Prints the figures and writes them to
bench/results/outbox_window.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from connector.mail.compose import compose
from connector.mail.outbox import deliver
from connector.mail.smtp import SmtpMailer, SmtpTarget
from connector.state.base import OutboxMessage, Transaction
from connector.state.sqlite import SqliteStateStore
from connector.templates.render import Rendered

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from smtp_sink import PASSWORD, SmtpServer, WindowMeter  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "outbox_window.json"
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def run_once(messages: int) -> tuple[float, float]:
    """(window seconds, delivery seconds) for one pass over `messages` queued messages."""
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStateStore(Path(folder) / "state.db")
        text = "Hello Pat,\n\n" + "Your request is complete. " * 60 + "\n"
        body = compose(Rendered("[HELP-1] Your request is complete", text, None),
                       sender="help@example.edu", recipient="pat@uni.example.edu",
                       message_id="<bench@example.edu>", when=NOW)  # a realistic ~2 kB message
        store.commit(Transaction(outbox=[
            OutboxMessage(id=None, effect_key=f"e{n}", issue_key=f"HELP-{n}", template="t",
                          recipient=f"user{n}@uni.example.edu", message=body, created_at=NOW)
            for n in range(messages)]))
        meter = WindowMeter()
        with SmtpServer(Path(folder)) as server:
            mailer = meter.mailer(SmtpMailer(SmtpTarget.parse(server.url), password=PASSWORD))
            start = time.perf_counter()
            while store.pending_outbox(NOW):  # deliver() takes 100 due messages per pass
                deliver(meter.store(store), mailer, sender="help@example.edu", now=NOW)
            total = time.perf_counter() - start
        store.close()
        return meter.window, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    shares, per_message = [], []
    for _ in range(args.runs):
        window, total = run_once(args.messages)
        shares.append(window / total)
        per_message.append(window / args.messages * 1000)
    figures = {
        "messages": args.messages, "runs": args.runs,
        "window_ms_per_message_median": round(statistics.median(per_message), 3),
        "window_share_of_delivery_median": round(statistics.median(shares), 4),
        "duplicates_per_100_random_crashes": round(100 * statistics.median(shares), 1),
        "max_duplicates_per_crash": 1,
        "transport": "SMTP STARTTLS + AUTH on loopback (aiosmtpd)",
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
