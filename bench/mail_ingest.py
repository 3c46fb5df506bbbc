"""Mail intake: messages parsed per second, and tracker requests per ingested message.

Run:  .venv/bin/python bench/mail_ingest.py [--quick] [--messages N]

A generated, seeded mixture (new requests, some with HTML and quoted history or an
attachment; replies threading by In-Reply-To or References; out-of-office replies; bounces
returning our acknowledgement of an earlier request), and the shared corpus of real mail
where present, are first parsed alone (best of three passes); then the mixture is put in a
Maildir and read by the real intake into the Jira sandbox (its own process, over HTTP, Cloud
flavor), counting the sandbox's requests: the requests first, then, once each ticket's
acknowledgement is recorded as sent (as a cycle's delivery would), the mail that follows
them. Prints a table; writes bench/results/mail_ingest.json.
"""

from __future__ import annotations

import argparse
import mailbox
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SandboxProcess, settings_for, shipped_config, table, write

from connector.app import connect_tracker, installer
from connector.engine.calendar import BusinessCalendar
from connector.mail.intake.ingest import Ingest, IngestReport
from connector.mail.intake.maildir import MaildirMailbox
from connector.mail.intake.parse import parse
from connector.mail.intake.rules import IntakeRules
from connector.state.base import Transaction
from connector.state.intake import IntakeStore
from connector.state.sqlite import SqliteStateStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "mail"  # ../shared
KINDS = {"request": 0.5, "reply": 0.3, "out-of-office": 0.1, "bounce": 0.1}


def _request(n: int, rng: random.Random) -> bytes:
    who = f"user{n % 97}@uni.example.edu"
    head = (f"From: User {n % 97} <{who}>\r\nTo: redcap_helpdesk@example.edu\r\n"
            f"Subject: Request {n}: export of project {rng.randint(1, 5000)} fails\r\n"
            f"Message-ID: <req{n}@uni.example.edu>\r\nDate: Tue, 1 Dec 2026 08:00:00 -0600\r\n"
            "MIME-Version: 1.0\r\n")
    text = ("Hello,\r\n\r\nthe CSV export times out after a few minutes. "
            f"Ticket body {n}.\r\n\r\nThanks\r\n")
    shape = rng.random()
    if shape < 0.3:  # HTML alternative with quoted history, as Outlook and Gmail send
        html = (f"<div><p>{text}</p></div><div class='gmail_quote'>On Mon someone wrote:"
                "<blockquote>old text</blockquote></div>")
        return (head + 'Content-Type: multipart/alternative; boundary="a"\r\n\r\n--a\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text
                + "\r\nOn Mon, Support wrote:\r\n> old text\r\n--a\r\n"
                "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--a--\r\n"
                ).encode()
    if shape < 0.4:  # a small attachment
        return (head + 'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "--m\r\n"
                'Content-Type: text/csv\r\nContent-Disposition: attachment; filename="log.csv"'
                "\r\n\r\nid,error\r\n1,timeout\r\n--m--\r\n").encode()
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text).encode()


def _follow_up(kind: str, n: int, parent: int) -> bytes:
    who = f"user{parent % 97}@uni.example.edu"
    if kind == "reply":
        header = "In-Reply-To" if n % 2 else "References"
        return (f"From: User <{who}>\r\nTo: redcap_helpdesk@example.edu\r\n"
                f"Subject: Re: Request {parent}\r\nMessage-ID: <re{n}@uni.example.edu>\r\n"
                f"{header}: <req{parent}@uni.example.edu>\r\n\r\nMore details {n}.\r\n\r\n"
                "> quoted\r\n").encode()
    if kind == "out-of-office":
        return (f"From: User <{who}>\r\nTo: redcap_helpdesk@example.edu\r\n"
                f"Subject: Automatic reply: Request {parent}\r\n"
                f"Message-ID: <oof{n}@uni.example.edu>\r\nAuto-Submitted: auto-replied\r\n"
                f"In-Reply-To: <req{parent}@uni.example.edu>\r\n\r\nOut until Monday.\r\n"
                ).encode()
    return (f"From: MAILER-DAEMON@mx.uni.example.edu\r\nTo: redcap_helpdesk@example.edu\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn{n}@mx>\r\n"
            'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;'
            ' boundary="d"\r\n\r\n--d\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--d\r\n'
            "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            f"Final-Recipient: rfc822; gone{n}@uni.example.edu\r\nAction: failed\r\n"
            "Status: 5.1.1\r\n--d\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: {_ack(parent)}\r\nTo: gone{n}@uni.example.edu\r\n"
            "--d--\r\n").encode()


def _ack(request: int) -> str:
    """The Message-ID of our acknowledgement of a request (what a bounce returns)."""
    return f"<tf.ack{request}@example.edu>"


def mixture(count: int, seed: int = 7) -> list[tuple[str, bytes]]:
    """`count` messages; follow-ups only refer to requests that came before them."""
    rng = random.Random(seed)
    out: list[tuple[str, bytes]] = []
    requests: list[int] = []
    for n in range(count):
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0] if requests \
            else "request"
        if kind == "request":
            requests.append(n)
            out.append((kind, _request(n, rng)))
        else:
            out.append((kind, _follow_up(kind, n, rng.choice(requests))))
    return out


def parse_rate(messages: list[bytes]) -> tuple[float, float]:
    """Messages per second and megabytes per second of the parser alone, best of three."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for raw in messages:
            parse(raw)
        best = min(best, time.perf_counter() - began)
    size = sum(len(m) for m in messages) / 1e6
    return len(messages) / best, size / best


def ingest_all(sandbox: SandboxProcess, folder: Path, generated: list[tuple[str, bytes]]
               ) -> tuple[Counter[str], float]:
    settings = settings_for(sandbox, folder)
    config = shipped_config()
    installer(config, settings).install_scheme(config, dry_run=False, echo=lambda _: None)
    box = mailbox.Maildir(folder / "Maildir", create=True)
    store = SqliteStateStore(settings.state_db)
    tracker = connect_tracker(config, settings, store=store)
    rules = IntakeRules.from_config(config, mail_from=config.mappings.mailbox.address)
    ingest = Ingest(tracker=tracker, store=store, rules=rules,
                    calendar=BusinessCalendar.from_config(config.rules.calendar),
                    open_mailbox=lambda: MaildirMailbox(
                        folder / "Maildir", max_size=config.mappings.mailbox.max_message_size))
    totals: Counter[str] = Counter()
    sandbox.reset_counts()
    elapsed = 0.0
    for phase in ("request", "follow-up"):
        for kind, raw in generated:
            if (kind == "request") == (phase == "request"):
                box.add(raw)
        if phase == "follow-up":
            acknowledged(store, generated)
        began = time.perf_counter()
        while True:
            report: IngestReport = ingest(NOW)
            if report.read == 0:
                break
            for name in ("tickets", "comments", "quarantined", "duplicates", "deferred"):
                totals[name] += getattr(report, name)
        elapsed += time.perf_counter() - began
    store.close()
    return totals, elapsed


def acknowledged(store: SqliteStateStore, generated: list[tuple[str, bytes]]) -> None:
    """Record each request's acknowledgement as sent, as the cycle's delivery would."""
    book = IntakeStore(store.db)
    sent = []
    for number, (kind, _) in enumerate(generated):
        record = book.record(f"<req{number}@uni.example.edu>") if kind == "request" else None
        if record is not None and record.issue_key:
            sent.append((_ack(number), record.issue_key, "out"))
    store.commit(Transaction(message_ids=sent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 messages instead of 2,000")
    parser.add_argument("--messages", type=int)
    args = parser.parse_args(argv)
    count = args.messages or (200 if args.quick else 2_000)
    generated = mixture(count)
    messages = [raw for _, raw in generated]
    kinds = Counter(kind for kind, _ in generated)
    per_second, megabytes = parse_rate(messages)
    corpus = [f.read_bytes() for f in sorted(CORPUS.rglob("*.eml"))] if CORPUS.is_dir() else []
    corpus_rate = parse_rate(corpus) if corpus else None
    sandbox = SandboxProcess()
    try:
        sandbox.set_clock(NOW)
        with tempfile.TemporaryDirectory() as folder:
            outcomes, elapsed = ingest_all(sandbox, Path(folder), generated)
        counts = sandbox.counts()
    finally:
        sandbox.stop()
    requests = int(counts["total"])
    endpoints = dict(sorted(counts.get("by_endpoint", {}).items(), key=lambda kv: -kv[1]))
    rows = [("measure", "value"),
            ("messages", f"{count} ({', '.join(f'{k} {v}' for k, v in kinds.items())})"),
            ("parsed per second (parser alone)", f"{per_second:,.0f} ({megabytes:.1f} MB/s)"),
            ("parsed per second (shared corpus)", f"{corpus_rate[0]:,.0f} over {len(corpus)} "
             f"real messages ({corpus_rate[1]:.1f} MB/s)" if corpus_rate else "corpus absent"),
            ("ingested per second (over HTTP)", f"{count / elapsed:,.1f}"),
            ("tracker requests", f"{requests}"),
            ("tracker requests per ingested message", f"{requests / count:.2f}"),
            ("outcomes", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))]
    rows += [(f"  {route}", str(n)) for route, n in endpoints.items()]
    print(table(rows))
    name = "mail_ingest_quick" if args.quick else "mail_ingest"
    target = write(name, {
        "messages": count, "mixture": dict(kinds), "parsed_per_second": round(per_second, 1),
        "parsed_megabytes_per_second": round(megabytes, 2),
        "corpus_messages": len(corpus),
        "corpus_parsed_per_second": round(corpus_rate[0], 1) if corpus_rate else None,
        "ingested_per_second": round(count / elapsed, 2), "ingest_seconds": round(elapsed, 2),
        "tracker_requests": requests,
        "tracker_requests_per_message": round(requests / count, 3),
        "outcomes": dict(outcomes), "requests_by_endpoint": endpoints})
    print(f"\nwritten to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
