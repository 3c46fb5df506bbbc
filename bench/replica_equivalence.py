"""Replicas under fire: a simulated day run by one `ticketflow run`, and again by three replicas
on one state whose leader is SIGKILLed or SIGSTOPped (then SIGCONTed) again and again, must end
in the same place (the fault-equivalence comparator of bench/fault_equivalence.py).

Both runs are real `ticketflow run` processes against the Jira sandbox, following one simulated
clock (`run --clock-file`) that this driver moves. At each tick (every 30 simulated minutes) the
world moves first (mail arrives, engineers act), then the clock steps through three instants a
millisecond apart, and the driver waits for the leader (asked at `/healthz?format=json`) to
finish a mail read begun at the first, a sync begun at the second and a delivery begun at the
third: a whole cycle in order, as `once` would run it. At a disrupted tick the leader is hit in
the middle of its sync: SIGKILL (a supervisor starts a new replica) or SIGSTOP, and SIGCONT once
another replica has taken over. Take-over times are measured from the signal to the moment
another replica says it leads. The lease is short (2 s) so real time stays short.

The state is a SQLite file in the run's folder, or with `--postgres URL` a fresh schema of
that PostgreSQL database for each of the two runs (dropped afterwards).

Run:  .venv/bin/python bench/replica_equivalence.py [--tickets N] [--disruptions K]
      [--postgres URL]
"""

from __future__ import annotations

import argparse
import mailbox
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, postgres_schema, table, write
from fault_equivalence import (
    MONDAY,
    Request,
    World,
    _engineers,
    _observe,
    compare,
    compared_rows,
)
from trackers import Desk

from connector.state.location import open_reader

LEASE_SECONDS = 2
PHASES = (("mail", 0), ("sync", 1), ("deliver", 2))  # job, milliseconds after the tick
PHASE_DEADLINE = 90.0  # seconds of real time a phase may take (a take-over included)


def set_clock(path: Path, moment: datetime) -> None:
    """Move the replicas' clock in one step: a reader never sees a half-written file."""
    scratch = path.with_suffix(".new")
    scratch.write_text(moment.isoformat())
    scratch.replace(path)


def day(tickets: int, seed: int) -> list[Request]:
    """Requests over Monday's working hours, each with a fixed plan."""
    chooser = random.Random(seed)
    slots = sorted(MONDAY + timedelta(hours=1, minutes=5 * chooser.randrange(108))
                   for _ in range(tickets))
    return [Request(i, when, chooser.choice(("close", "escalate", "leave")))
            for i, when in enumerate(slots)]


def day_ticks() -> list[datetime]:
    """Monday 07:00 to 18:00 every 30 minutes, then three settling ticks two hours apart."""
    moments = [MONDAY + timedelta(minutes=30 * n) for n in range(23)]
    return moments + [moments[-1] + timedelta(hours=2 * n) for n in (1, 2, 3)]


@dataclass
class ReplicaWorld(World):
    """The world of one run, its state in the folder's file or at `state_db` (a URL)."""

    state_db: str | None = None

    def env(self, now: datetime) -> dict[str, str]:
        env = super().env(now)
        return {**env, "TICKETFLOW_STATE_DB": self.state_db} if self.state_db else env

    def keys(self) -> dict[str, str]:
        """Request Message-ID -> ticket key, from what the service recorded."""
        if self.state_db is None:
            return super().keys()
        with closing(open_reader(self.state_db)) as db:
            if not db.execute("SELECT to_regclass('message_ids') IS NOT NULL").fetchone()[0]:
                return {}  # the replicas have not made the state yet
            rows = db.execute("SELECT message_id, issue_key FROM message_ids "
                              "WHERE direction = 'in'").fetchall()
        return {str(mid): str(key) for mid, key in rows}


@dataclass
class Replica:
    """One `ticketflow run` process and where it serves /healthz."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def details(self) -> dict[str, Any] | None:
        """The replica's /healthz?format=json, or None (stopped, starting, dead)."""
        try:
            answer = requests.get(f"{self.url}/healthz?format=json", timeout=0.5)
            return dict(answer.json())
        except (requests.RequestException, ValueError):
            return None


@dataclass
class Replicas:
    """`count` replicas of `run` on one state, following the clock file."""

    world: World
    count: int
    clock_file: Path
    members: list[Replica] = field(default_factory=list)
    takeovers: list[float] = field(default_factory=list)
    disrupted: list[str] = field(default_factory=list)

    def start(self) -> Replica:
        port = free_port()
        env = {**self.world.env(MONDAY), "TICKETFLOW_HTTP_PORT": str(port),
               "TICKETFLOW_POLL_INTERVAL": "1", "TICKETFLOW_MAIL_INTERVAL": "1",
               "TICKETFLOW_DELIVERY_INTERVAL": "1",
               "TICKETFLOW_LEASE_SECONDS": str(LEASE_SECONDS)}
        log = self.world.folder / f"replica-{len(self.disrupted)}-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "connector", "--log-format", "json", "run",
                 "--clock-file", str(self.clock_file)], env=env, stdout=out,
                stderr=subprocess.STDOUT)
        member = Replica(process, f"http://127.0.0.1:{port}", log)
        self.members.append(member)
        return member

    def leader(self, *, besides: Replica | None = None) -> tuple[Replica, dict[str, Any]] | None:
        """The replica that says it leads (not asking `besides`: a stopped one never answers,
        and waiting for it would add to a measured take-over)."""
        for member in self.members:
            if member is not besides and member.process.poll() is None:
                details = member.details()
                if details is not None and details.get("role") == "leader":
                    return member, details
        return None

    def stop(self) -> None:
        for member in self.members:
            if member.process.poll() is None:
                member.process.send_signal(signal.SIGCONT)
                member.process.terminate()
        for member in self.members:
            try:
                member.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                member.process.kill()

    def phase(self, job: str, moment: datetime) -> None:
        """Set the clock to `moment`; wait for the leader's `job` begun at or after it."""
        set_clock(self.clock_file, moment)
        deadline = time.monotonic() + PHASE_DEADLINE
        while time.monotonic() < deadline:
            found = self.leader()
            if found is not None:
                started = found[1]["jobs"].get(job, {}).get("last_success_started")
                if started is not None and datetime.fromisoformat(started) >= moment:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"no {job} at {moment} within {PHASE_DEADLINE}s:\n{self.logs()}")

    def logs(self) -> str:
        """The end of every live replica's log, for a failure's message."""
        return "\n".join(m.log.read_text()[-3000:] for m in self.members)

    def disrupt(self, how: signal.Signals, delay: float) -> None:
        """Hit the leader `delay` seconds into its work; time until another replica leads."""
        found = self.leader()
        if found is None:
            return
        victim = found[0]
        time.sleep(delay)
        victim.process.send_signal(how)
        hit = time.monotonic()
        self.disrupted.append(how.name)
        while time.monotonic() - hit < 10 * LEASE_SECONDS:
            now = self.leader(besides=victim)
            if now is not None:
                self.takeovers.append(time.monotonic() - hit)
                break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"no take-over within {10 * LEASE_SECONDS}s after {how.name}:\n"
                               f"{self.logs()}")
        if how == signal.SIGSTOP:
            victim.process.send_signal(signal.SIGCONT)  # it wakes to find itself fenced off
        else:
            victim.process.wait()
            self.members.remove(victim)
            self.start()  # the supervisor (Kubernetes) starts another


def simulate(folder: Path, requests_: list[Request], *, replicas: int, disruptions: int,
             seed: int, state_db: str | None = None) -> dict[str, Any]:
    """One run of the day by `replicas` processes (the state at `state_db`, else a file in
    `folder`); returns what is compared."""
    folder.mkdir(parents=True, exist_ok=True)
    chooser = random.Random(seed)
    moments = day_ticks()
    hits = set(chooser.sample(range(1, len(moments) - 3), disruptions)) if disruptions else set()
    desk = Desk("jira-cloud", folder)
    world = ReplicaWorld(folder, faulty=False, kills=set(), seed=seed, desk=desk,
                         sandbox=desk.start(MONDAY), state_db=state_db)
    clock_file = folder / "clock"
    set_clock(clock_file, MONDAY)
    group = Replicas(world, replicas, clock_file)
    try:
        world.sandbox.set_clock(MONDAY)
        install = subprocess.run([sys.executable, "-m", "connector", "install-scheme"],
                                 env=world.env(MONDAY), capture_output=True, text=True,
                                 check=False)
        if install.returncode != 0:
            raise RuntimeError(install.stdout + install.stderr)
        for _ in range(replicas):
            group.start()
        inbox = mailbox.Maildir(folder / "Maildir", create=True)
        pending, done = list(requests_), set()  # type: ignore[var-annotated]
        for tick, now in enumerate(moments):
            world.sandbox.set_clock(now)
            while pending and pending[0].arrives <= now:
                inbox.add(pending.pop(0).raw())
            _engineers(world, requests_, now, done)
            for job, milliseconds in PHASES:
                moment = now + timedelta(milliseconds=milliseconds)
                if job == "sync" and tick in hits:
                    set_clock(group.clock_file, moment)
                    how = signal.SIGKILL if len(group.disrupted) % 2 == 0 else signal.SIGSTOP
                    group.disrupt(how, chooser.uniform(0.0, 0.8))
                group.phase(job, moment)
        observed = _observe(world, requests_)
        observed.update(takeovers=group.takeovers, disrupted=group.disrupted,
                        fenced=_logged(folder, "standing by: "),
                        ended=_logged(folder, "held the lease locked for half a period"))
        return observed
    finally:
        group.stop()
        world.sandbox.stop()


def _logged(folder: Path, words: str) -> int:
    """How many times the replicas' logs say `words`: a former leader woke to find its lease
    taken ("standing by: "), a take-over ended a paused leader's sessions."""
    return sum(log.read_text().count(words) for log in folder.glob("replica-*.log"))


def run(tickets: int, disruptions: int, seed: int, folder: Path,
        postgres: str | None = None) -> tuple[list[str], list[list[str]], list[float]]:
    """Both runs of the day, on SQLite files or (`postgres`: a database's URL) each in a
    schema of its own; what differs, the figures' rows, the take-over times."""
    requests_ = day(tickets, seed)
    with ExitStack() as stack:
        states = [stack.enter_context(postgres_schema(postgres)) if postgres else None
                  for _ in range(2)]
        clean = simulate(folder / "clean", requests_, replicas=1, disruptions=0, seed=seed,
                         state_db=states[0])
        faulty = simulate(folder / "replicas", requests_, replicas=3, disruptions=disruptions,
                          seed=seed, state_db=states[1])
    takeovers = faulty["takeovers"]
    rows = [*compared_rows(clean, faulty, "one process", "3 replicas, leader hit"),
            ["leaders SIGKILLed / SIGSTOPped", "0 / 0",
             f"{faulty['disrupted'].count('SIGKILL')} / {faulty['disrupted'].count('SIGSTOP')}"],
            ["former leaders that woke fenced off", "0", str(faulty["fenced"])],
            ["take-overs that ended a paused leader's sessions", "0", str(faulty["ended"])],
            ["take-over seconds (min / median / max)", "-", _spread(takeovers)],
            *[[f"  after {how}", "-", _spread([seconds for seconds, hit in
                                               zip(takeovers, faulty["disrupted"], strict=True)
                                               if hit == how])]
              for how in ("SIGKILL", "SIGSTOP")],
            ["final-state fingerprint", clean["fingerprint"][:12], faulty["fingerprint"][:12]]]
    return compare(clean, faulty), rows, takeovers


def _spread(seconds: list[float]) -> str:
    """min / median / max, or "-" for none."""
    if not seconds:
        return "-"
    return " / ".join(f"{f(seconds):.2f}" for f in (min, statistics.median, max))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=40)
    parser.add_argument("--disruptions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres", metavar="URL",
                        help="keep the state in PostgreSQL: a schema of this database per run")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        problems, rows, takeovers = run(args.tickets, args.disruptions, args.seed, Path(folder),
                                        args.postgres)
    print(table(rows))
    print("\nequivalent" if not problems else "\nNOT EQUIVALENT:\n  " + "\n  ".join(problems))
    path = write("replica_equivalence", {
        "state": "postgresql" if args.postgres else "sqlite",
        "tickets": args.tickets, "disruptions": args.disruptions, "seed": args.seed,
        "lease_seconds": LEASE_SECONDS, "takeovers": takeovers, "rows": rows,
        "problems": problems, "seconds": time.perf_counter() - started})
    print(f"written to {path.relative_to(path.parents[2])}")
    return 0 if not problems else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())
