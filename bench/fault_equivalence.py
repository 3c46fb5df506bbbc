"""The fault-equivalence test: one simulated week run twice, clean and under faults with the
service killed (SIGKILL) at random moments, must end in the same place.

Compared: the final state of every ticket in the tracker (status, tier, category, assignee,
in the workflow's words), every (ticket, template, recipient) message present exactly once,
each message's text the same in both runs (ticket references, dates and links normalised),
and one ticket per request mail. Tickets are matched across runs by the Message-ID of the mail
that opened them.

Run:  .venv/bin/python bench/fault_equivalence.py [--quick] [--tickets N] [--kills K]
          [--tracker jira-cloud|jira-datacenter|zendesk] [--compare-with KIND]
          [--smtp-outage-hours H] [--smtp-hang-hours H]
          [--jira-outage-minutes M] [--pauses P] [--second-instance]

`--tracker` picks the tracker (Jira Cloud by default), with the same rules.yaml; engineers
act through the adapter with their own logins. `--compare-with` also runs the clean week on a
second tracker and reports how many messages and final states the two trackers share.

With either SMTP option, both runs deliver through a loopback SMTP server (bench/smtp_faults.py)
instead of the outbox folder; in the faulty run it refuses service (421) for H hours from
Tuesday 09:00, or accepts connections and never answers for H hours from Wednesday 09:00. A
cycle that did everything but deliver (`once` exits 1 saying delivery is stuck) is complete.

The service runs as `ticketflow once --now T`, as cron would run it; at a tick chosen for a
kill the first attempt is a separate process killed after a random delay, and the cycle is
run again at the same simulated time (a restart). Cycles that are not killed run in this
process through the same composition root (`connector.app.build`), with a retry layer whose
sleep returns at once: the sandbox's faults are drawn per request, not per second, so waiting
out a 429 changes nothing but the run time. The world (mail, engineers) waits for a completed
cycle before moving on, so both runs see the same world. Jira outages, pauses and a second
instance are played by bench/fault_situations.py (its docstring says how).
"""

from __future__ import annotations

import argparse
import email
import hashlib
import logging
import mailbox
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table, write
from fault_situations import Situations, Stage, interrupted, waits_normalised
from smtp_faults import FaultySmtp
from trackers import (
    KINDS,
    REFERENCE,
    Desk,
    InProcessSandbox,
    SandboxProcess,
    base_env,
    settings_from,
)

from connector.app import build
from connector.clock import SettableClock
from connector.config.loader import Config
from connector.errors import NoTransitionError, TicketflowError
from connector.http.retry import Retrier
from connector.sandbox import API_USER
from connector.tracker.base import Tracker
from connector.tracker.values import WorkflowFields

ZONE = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=ZONE)
TOPICS = ("Cannot log in after password reset", "Data export to CSV times out",
          "Please set up a new project", "Question about survey branching logic")
OUTBOX_NAME = re.compile(r"^(?P<key>[A-Z][A-Z0-9_]*-\d+|\d+)-(?P<template>.+)-(?P<id>\d+)$")
FAULTS = {"rate_429": 0.10, "rate_500": 0.02, "rate_drop": 0.01, "retry_after": 0}
# What differs between two equivalent runs, in a message's text: the ticket references
# (matched by request instead; trackers.REFERENCE), links (a feedback token is signed with
# each state file's own secret) and dates.
LINK = re.compile(r"https?://\S+")
DATE = re.compile(r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{1,2} [A-Z][a-z]+, "
                  r"\d{2}:\d{2} [A-Z]{2,5}\b|\b\d{4}-\d{2}-\d{2}T[\d:.]+(?:[+-]\d{2}:\d{2}|Z)?")


@dataclass(frozen=True)
class SmtpFaults:
    """SMTP trouble in the faulty run: hours refused from Tuesday 09:00, hours hanging from
    Wednesday 09:00."""

    outage_hours: float = 0
    hang_hours: float = 0

    def mode(self, now: datetime) -> str:
        for start, hours, mode in ((MONDAY + timedelta(days=1, hours=2), self.outage_hours,
                                    "refuse"),
                                   (MONDAY + timedelta(days=2, hours=2), self.hang_hours,
                                    "hang")):
            if start <= now < start + timedelta(hours=hours):
                return mode
        return "up"


@dataclass(frozen=True)
class Request:
    """One customer mail and what the engineers will do with its ticket."""

    index: int
    arrives: datetime
    plan: str  # "close", "escalate" or "leave"

    @property
    def message_id(self) -> str:
        return f"<req-{self.index:05d}@uni.example.edu>"

    def raw(self) -> bytes:
        sender = f"customer{self.index % 97}@uni.example.edu"
        return (f"From: Customer {self.index % 97} <{sender}>\r\n"
                f"To: redcap_helpdesk@example.edu\r\n"
                f"Subject: Request {self.index:05d}: {TOPICS[self.index % len(TOPICS)]}\r\n"
                f"Date: {format_datetime(self.arrives)}\r\n"
                f"Message-ID: {self.message_id}\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                f"Hello, this is request {self.index}. Please help.\r\n").encode()


def week(tickets: int, seed: int) -> list[Request]:
    """Requests spread over Monday to Thursday working hours, with a fixed plan each."""
    chooser = random.Random(seed)
    hours = [MONDAY + timedelta(days=d, hours=h + 1, minutes=m)
             for d in range(4) for h in range(1, 10) for m in range(0, 60, 5)]
    slots = sorted(chooser.choice(hours) for _ in range(tickets))
    return [Request(i, when, chooser.choice(("close", "escalate", "leave")))
            for i, when in enumerate(slots)]


def ticks() -> list[datetime]:
    """A cycle every 30 simulated minutes, Monday 07:00 to Friday 18:00."""
    moments, now = [], MONDAY
    while now <= MONDAY + timedelta(days=4, hours=11):
        moments.append(now)
        now += timedelta(minutes=30)
    return moments


def _retrying(call: Any, *args: Any, **kwargs: Any) -> Any:
    """The engineers' own clicks retry through the injected faults like a person would (every
    tracker write is safe to repeat); their adapter's retry warnings are not the service's."""
    logging.disable(logging.WARNING)
    try:
        for _ in range(50):
            try:
                return call(*args, **kwargs)
            except NoTransitionError:
                raise
            except TicketflowError:
                continue
    finally:
        logging.disable(logging.NOTSET)
    raise RuntimeError("the sandbox kept failing an engineer's request")


@dataclass
class World:
    """One run: a tracker's sandbox, a state folder, the service's processes, the engineers."""

    folder: Path
    faulty: bool
    kills: set[int]
    seed: int
    desk: Desk
    sandbox: SandboxProcess | InProcessSandbox
    attempts: int = 0
    killed: int = 0
    owed: bool = False
    smtp: FaultySmtp | None = None
    stuck: int = 0  # cycles complete but for delivery (its server down or hanging)
    # Read once: `once` reads it every time, but it never changes during the week, and the
    # killed processes still read it their own way.
    config: Config = field(init=False)
    logins: dict[str, Tracker] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.config = self.desk.config()

    def env(self, now: datetime) -> dict[str, str]:
        return {**base_env(self.folder, self.desk.config_dir()),
                **self.desk.env(self.sandbox.url),
                **({"TICKETFLOW_SMTP_URL": self.smtp.url(timeout=2)} if self.smtp else {})}

    def cycle(self, tick: int, now: datetime, chooser: random.Random,
              may_fail: bool = False) -> bool:
        """Run a cycle at `now` until one completes (True). At a kill tick the first attempt
        is a separate `ticketflow once` process, killed with SIGKILL at a random moment; a
        kill that lands after the process finished is carried to the next tick. With
        `may_fail` (Jira down, the state locked by a paused process) one attempt is all cron
        makes: False when it failed."""
        if tick in self.kills or self.owed:
            self.owed = self._kill_one(now, chooser)
        for _ in range(30):
            self.attempts += 1
            code, said = self._once_here(now)
            if code == 0:
                return True
            if may_fail:
                return False
            if said.strip().splitlines()[-1:] and said.strip().splitlines()[-1].startswith(
                    "ticketflow: delivery stuck:"):
                self.stuck += 1
                return True
        raise RuntimeError(f"no cycle completed at {now}: {said}")

    def _kill_one(self, now: datetime, chooser: random.Random) -> bool:
        """A killed attempt; True when every try ended before its kill (the kill is owed).
        A process that finished first simply completed a cycle; the next try aims earlier."""
        process = interrupted(self, now, chooser, signal.SIGKILL)
        if process is None:
            return True
        process.wait()
        self.killed += 1
        return False

    def _once_here(self, now: datetime) -> tuple[int, str]:
        """What `ticketflow once --now` does (load, build, lock, one cycle), in this process,
        with a retry layer that does not sleep: its exit code, and the error line `once`
        would print."""
        settings = settings_from(self.env(now))
        logging.disable(logging.WARNING)  # what cron would mail to nobody: retry warnings
        try:
            service = build(self.config, settings, clock=SettableClock(now),
                            retrier=Retrier(sleep=lambda _seconds: None))
            try:
                with service.store.lock():
                    service.cycle.run()
            finally:
                service.close()
        except TicketflowError as error:
            return 1, f"ticketflow: {error}"
        finally:
            logging.disable(logging.NOTSET)
        return 0, ""

    def keys(self) -> dict[str, str]:
        """Request Message-ID -> ticket key, from what the service recorded."""
        path = self.folder / "state.db"
        if not path.exists():
            return {}
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return dict(db.execute("SELECT message_id, issue_key FROM message_ids "
                                   "WHERE direction = 'in'").fetchall())

    def as_user(self, who: str) -> Tracker:
        """`who`'s login to the tracker, made once (it reads the tracker's catalogue)."""
        if who not in self.logins:
            self.logins[who] = _retrying(self.desk.as_user, self.config, self.sandbox.url, who)
        return self.logins[who]

    def move(self, who: str, key: str, status: str) -> None:
        """`who` moves the ticket in the tracker's screens, if the workflow lets them."""
        with suppress(NoTransitionError):
            _retrying(self.as_user(who).update, key, WorkflowFields(status=status))

    def assignee(self, key: str) -> str:
        ticket = _retrying(self.as_user(API_USER).ticket, key)
        return ticket.assignee.email if ticket.assignee else "alice@example.edu"


def _engineers(world: World, requests_: list[Request], now: datetime,
               done: set[tuple[int, str]]) -> None:
    """Each plan's steps, once each, when their time has come and the ticket exists."""
    keys = world.keys()
    for request in requests_:
        key = keys.get(request.message_id)
        if key is None:
            continue
        steps = {"close": [(30, "alice@example.edu", "Reviewing"),
                           (90, "alice@example.edu", "In Progress"),
                           (60 * 24, "alice@example.edu", "Complete")],
                 "escalate": [(20, "alice@example.edu", "Reviewing"),
                              (60 * 26, "{assignee}", "In Progress"),
                              (60 * 50, "{assignee}", "Complete")],
                 "leave": []}[request.plan]
        for delay, who, status in steps:
            if (request.index, status) in done or now < request.arrives + timedelta(
                    minutes=delay):
                continue
            person = world.assignee(key) if who == "{assignee}" else who
            world.move(person, key, status)
            done.add((request.index, status))


def simulate(folder: Path, requests_: list[Request], *, faulty: bool, kills: int,
             seed: int, smtp: SmtpFaults | None = None,
             kind: str = "jira-cloud",
             situations: Situations | None = None) -> dict[str, Any]:
    """One run of the week on the tracker `kind`; returns what is compared."""
    moments = ticks()
    folder.mkdir(parents=True, exist_ok=True)
    chooser = random.Random(seed)
    desk = Desk(kind, folder)
    world = World(folder, faulty, set(chooser.sample(range(1, len(moments)), kills)), seed,
                  desk, desk.start(MONDAY),
                  smtp=FaultySmtp(folder / "outbox") if smtp else None)
    stage = Stage(situations if faulty and situations else Situations(), world, MONDAY, FAULTS)
    stage.pause_at = stage.situations.pause_ticks(len(moments))
    try:
        world.sandbox.set_clock(MONDAY)
        install = subprocess.run([sys.executable, "-m", "connector", "install-scheme"],
                                 env=world.env(MONDAY), capture_output=True, text=True,
                                 check=False) if desk.needs_install() else None
        if install is not None and install.returncode != 0:
            raise RuntimeError(install.stdout + install.stderr)
        if faulty:
            world.sandbox.faults(seed=seed, **FAULTS)
        inbox = mailbox.Maildir(folder / "Maildir", create=True)
        pending, done = list(requests_), set()  # type: ignore[var-annotated]
        for tick, now in enumerate(moments):
            world.sandbox.set_clock(now)
            arrived = 0
            while pending and pending[0].arrives <= now:
                inbox.add(pending.pop(0).raw())
                arrived += 1
            _engineers(world, requests_, now, done)
            if world.smtp and smtp and faulty:
                world.smtp.mode = smtp.mode(now)  # type: ignore[assignment]
            may_fail = stage.before(tick, now, arrived, chooser)
            stage.after(tick, world.cycle(tick, now, chooser, may_fail))
        stage.finish()
        world.sandbox.faults(rate_429=0, rate_500=0, rate_drop=0)
        if world.smtp:
            world.smtp.mode = "up"
        for extra in range(3):  # settle: deliver what is due, with the world at rest
            later = moments[-1] + timedelta(hours=2 * (extra + 1))
            world.sandbox.set_clock(later)  # the tracker's time moves on too (feed lag)
            world.cycle(-1, later, chooser)
        return {**_observe(world, requests_), "situations": stage.rows()}
    finally:
        world.sandbox.stop()
        if world.smtp:
            world.smtp.close()


def _observe(world: World, requests_: list[Request]) -> dict[str, Any]:
    keys = world.keys()
    by_key = {key: mid for mid, key in keys.items()}
    tracker = world.as_user(API_USER)
    state: dict[str, tuple[str, ...]] = {}
    issues = 0
    for key in world.desk.keys(world.sandbox.url):
        issues += 1
        ticket = tracker.ticket(key)
        state[by_key.get(key, f"unmatched {key}")] = (
            ticket.status, str(ticket.tier), ticket.category or "",
            ticket.assignee.email if ticket.assignee else "-")
    messages: Counter[tuple[str, str, str]] = Counter()
    bodies: dict[tuple[str, str, str], str] = {}
    for path in sorted((world.folder / "outbox").glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        named = OUTBOX_NAME.match(path.stem)
        key, template = (named["key"], named["template"]) if named else ("?", path.stem)
        which = (by_key.get(key, key), template, parseaddr(str(parsed["To"]))[1])
        messages[which] += 1
        bodies[which] = normalised(parsed, by_key, world.desk.reference)
    return {"state": state, "messages": messages, "bodies": bodies, "issues": issues,
            "requests": len(requests_), "matched": len(keys), "attempts": world.attempts,
            "killed": world.killed, "stuck": world.stuck,
            "smtp": (world.smtp.refused, world.smtp.hung) if world.smtp else (0, 0),
            "fingerprint": hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()}


def normalised(message: Any, by_key: dict[str, str],
               reference: re.Pattern[str] = REFERENCE["jira"]) -> str:
    """The text of a message with what may differ between equivalent runs replaced: ticket
    references (`HELP-12`, `#4711`) by the Message-ID of the request that opened the ticket,
    links and dates by marks."""
    part = message.get_body(("plain",))
    text = str(part.get_content()) if part is not None else ""
    text = LINK.sub("<link>", text)
    text = DATE.sub("<date>", text)
    return reference.sub(lambda m: by_key.get(m.group().lstrip("#"), m.group()), text)


def compare(clean: dict[str, Any], faulty: dict[str, Any]) -> list[str]:
    """Every difference in words (empty when the runs are equivalent)."""
    problems = []
    if clean["state"] != faulty["state"]:
        differing = [k for k in clean["state"] if clean["state"][k] != faulty["state"].get(k)]
        examples = [(k, clean["state"][k], faulty["state"].get(k)) for k in differing[:3]]
        problems.append(f"{len(differing)} tickets differ, e.g. {examples}")
    for name, run in (("clean", clean), ("faulty", faulty)):
        doubled = [m for m, n in run["messages"].items() if n != 1]
        if doubled:
            problems.append(f"{name}: {len(doubled)} messages not exactly once, e.g. {doubled[:3]}")
        if run["issues"] != run["requests"]:
            problems.append(f"{name}: {run['issues']} tickets for {run['requests']} mails")
    if set(clean["messages"]) != set(faulty["messages"]):
        gone = sorted(set(clean["messages"]) - set(faulty["messages"]))
        extra = sorted(set(faulty["messages"]) - set(clean["messages"]))
        problems.append(f"messages differ: {len(gone)} missing, e.g. {gone[:3]}; "
                        f"{len(extra)} extra, e.g. {extra[:3]}")
    texts = [m for m in clean["bodies"] if m in faulty["bodies"]
             and clean["bodies"][m] != faulty["bodies"][m]]
    if texts:
        first = texts[0]
        problems.append(f"{len(texts)} messages read differently, e.g. {first}:\n"
                        f"--- clean\n{clean['bodies'][first]}\n--- faulty\n"
                        f"{faulty['bodies'][first]}")
    return problems


def across(one: dict[str, Any], other: dict[str, Any]) -> list[list[str]]:
    """How two clean runs on different trackers compare: the same final status, tier and
    category; the same assignee; the same (ticket, template) messages, to the same people and
    reading the same. Figures: the CI test holds them all equal (a least-loaded pick counts
    the load as of when its escalation fell due, so a feed that lags a minute, or ticket ids
    that sort otherwise, change no pick)."""
    workflow = sum(one["state"][k][:3] == other["state"].get(k, ())[:3] for k in one["state"])
    people = sum(one["state"][k][3:] == other["state"].get(k, ())[3:] for k in one["state"])
    kinds_one = {(m[0], m[1]) for m in one["messages"]}
    kinds_other = {(m[0], m[1]) for m in other["messages"]}
    shared = set(one["messages"]) & set(other["messages"])
    same_text = sum(one["bodies"][m] == other["bodies"][m] for m in shared)
    return [["tickets with the same final status, tier and category", str(workflow),
             str(len(one["state"]))],
            ["tickets with the same assignee", str(people), str(len(one["state"]))],
            ["messages (ticket, template) sent on both", str(len(kinds_one & kinds_other)),
             str(len(kinds_one))],
            ["messages on one tracker only (by template)", _templates(kinds_one - kinds_other),
             _templates(kinds_other - kinds_one)],
            ["messages to the same recipient reading the same", str(same_text),
             str(len(kinds_one))]]


def _templates(messages: set[tuple[str, str]]) -> str:
    counts = Counter(template for _, template in messages)
    return ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) or "0"


def compared_rows(clean: dict[str, Any], faulty: dict[str, Any], first: str,
                  second: str) -> list[list[str]]:
    """The table's heading and the rows every equivalence run prints: what was compared."""
    return [["compared", first, second],
            ["request mails", str(clean["requests"]), str(faulty["requests"])],
            ["tickets in the tracker", str(clean["issues"]), str(faulty["issues"])],
            ["tickets compared (status, tier, category, assignee)", str(len(clean["state"])),
             str(len(faulty["state"]))],
            ["messages (ticket, template, recipient)", str(sum(clean["messages"].values())),
             str(sum(faulty["messages"].values()))],
            ["message texts compared (dates and links normalised)",
             str(len(clean["bodies"])), str(len(faulty["bodies"]))]]


def run(tickets: int, kills: int, seed: int, folder: Path,
        smtp: SmtpFaults | None = None, *, kind: str = "jira-cloud",
        compare_with: str | None = None,
        situations: Situations | None = None) -> tuple[list[str], list[list[str]]]:
    requests_ = week(tickets, seed)
    clean = simulate(folder / "clean", requests_, faulty=False, kills=0, seed=seed, smtp=smtp,
                     kind=kind)
    faulty = simulate(folder / "faulty", requests_, faulty=True, kills=kills, seed=seed,
                      smtp=smtp, kind=kind, situations=situations)
    rows = [*compared_rows(clean, faulty, "clean run", "faults + kills"),
            ["tracker", kind, kind],
            ["cycle attempts (failed and killed ones count)", str(clean["attempts"]),
             str(faulty["attempts"])],
            ["processes killed with SIGKILL", "0", str(faulty["killed"])],
            ["final-state fingerprint", clean["fingerprint"][:12], faulty["fingerprint"][:12]]]
    if smtp:
        rows[-1:-1] = [
            ["SMTP refusing service / hanging (hours)", "0 / 0",
             f"{smtp.outage_hours:g} / {smtp.hang_hours:g}"],
            ["SMTP connections refused / left hanging", "/".join(map(str, clean["smtp"])),
             "/".join(map(str, faulty["smtp"]))],
            ["cycles complete but for delivery (stuck)", str(clean["stuck"]),
             str(faulty["stuck"])]]
    rows[-1:-1] = faulty["situations"]
    if situations and situations.loses_cycles:
        rows.insert(-1, ["messages differing only in an escalation's wait (a cycle late)", "-",
                         str(waits_normalised(clean, faulty))])
    if compare_with:
        other = simulate(folder / compare_with, requests_, faulty=False, kills=0, seed=seed,
                         smtp=smtp, kind=compare_with)
        rows += [[f"clean: {kind} against {compare_with}", kind, compare_with],
                 *across(clean, other)]
    return compare(clean, faulty), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 tickets and 5 kills")
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--kills", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tracker", choices=KINDS, default="jira-cloud")
    parser.add_argument("--compare-with", choices=KINDS,
                        help="also run the clean week on this tracker and compare")
    parser.add_argument("--smtp-outage-hours", type=float, default=0,
                        help="deliver by SMTP; the faulty run's server refuses (421) this long")
    parser.add_argument("--smtp-hang-hours", type=float, default=0,
                        help="deliver by SMTP; the faulty run's server hangs this long")
    parser.add_argument("--jira-outage-minutes", type=float, default=0,
                        help="the faulty run's Jira answers 503 (Tue 09:00), then refuses "
                             "connections (Wed 10:00), this long each")
    parser.add_argument("--pauses", type=int, default=0,
                        help="SIGSTOP the service mid-cycle this many times, for an hour each")
    parser.add_argument("--second-instance", action="store_true",
                        help="start a second ticketflow on another state file (must refuse)")
    args = parser.parse_args(argv)
    situations = Situations(args.jira_outage_minutes, args.pauses, args.second_instance)
    smtp = (SmtpFaults(args.smtp_outage_hours, args.smtp_hang_hours)
            if args.smtp_outage_hours or args.smtp_hang_hours else None)
    tickets = args.tickets or (200 if args.quick else 2_000)
    kills = args.kills if args.kills is not None else (5 if args.quick else 20)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        problems, rows = run(tickets, kills, args.seed, Path(folder), smtp,
                             kind=args.tracker, compare_with=args.compare_with,
                             situations=situations)
    print(table(rows))
    print("\nequivalent" if not problems else "\nNOT EQUIVALENT:\n  " + "\n  ".join(problems))
    name = ("fault_equivalence" + ("" if args.tracker == "jira-cloud" else f"_{args.tracker}")
            + ("_smtp" if smtp else "")
            + (f"_outage{situations.outage_minutes:g}m" if situations.outage_minutes else "")
            + (f"_pauses{situations.pauses}" if situations.pauses else "")
            + ("_second" if situations.second_instance else "") + ("_quick" if args.quick else ""))
    path = write(name, {
        "tracker": args.tracker, "compare_with": args.compare_with,
        "tickets": tickets, "kills": kills, "faults": FAULTS, "seed": args.seed,
        "smtp": vars(smtp) if smtp else None, "situations": vars(situations),
        "rows": rows, "problems": problems, "seconds": time.perf_counter() - started})
    print(f"written to {path.relative_to(path.parents[2])}")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
