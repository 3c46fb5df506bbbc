"""The fault-equivalence week's situations beyond random faults and kills: Jira down for minutes,
the service paused (SIGSTOP) for a simulated hour, a second instance on another state file.

Each acts only in the faulty run, at a tick of the simulated week, around that tick's cycle:

- Outage: from Tuesday 10:00 the sandbox answers every request 503, and from Wednesday 11:00
  it drops every connection, each for N simulated minutes. A cycle begun in an outage may fail
  (the world moves on, as cron would); the mail that arrived meanwhile must wait for the next.
  The engineers' own clicks are not in the outage: they would wait it out.
- Pause: a `ticketflow once` process is SIGSTOPped in the middle of its cycle and SIGCONTed a
  simulated hour later. Meanwhile the cycles cron starts find its state locked and do nothing.
- Second instance: on Tuesday 13:00 a `ticketflow once` with its own new state file, against
  the same sandbox, mailbox and outbox, must refuse (exit 3: the owner claim) and change nothing.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

MONDAY_OFFSETS = ((timedelta(days=1, hours=3), {"rate_503": 1.0}),   # Tuesday 10:00: 503s
                  (timedelta(days=2, hours=4), {"rate_drop": 1.0}))  # Wednesday 11:00: refused
PAUSE = timedelta(hours=1)
# How long a ticket waited before it was escalated, in the assignment message: a cycle lost to an
# outage or a pause escalates it a cycle later, and the message truthfully says so.
WAITED = re.compile(r"\bafter \d+[dhm][\dhm]* in\b")
SECOND_INSTANCE_AT = timedelta(days=1, hours=6)  # Tuesday 13:00, with mail waiting
OWNER_CLAIM_EXIT = 3


def interrupted(world: Any, now: datetime, chooser: random.Random,
                how: signal.Signals) -> subprocess.Popen[bytes] | None:
    """A `ticketflow once --now` process sent `how` at a random moment inside its cycle, or
    None when every try finished first (each ran the tick's cycle; each next try aims
    earlier)."""
    for low, high in ((0.4, 1.0), (0.25, 0.6), (0.15, 0.35)):
        world.attempts += 1
        process = subprocess.Popen(
            [sys.executable, "-m", "connector", "once", "--now", now.isoformat()],
            env=world.env(now), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chooser.uniform(low, high))  # past start-up, inside the cycle
        if process.poll() is None:
            process.send_signal(how)
            return process
    return None


@dataclass(frozen=True)
class Situations:
    """What the faulty run adds: outages of so many minutes, so many pauses, a second
    instance."""

    outage_minutes: float = 0
    pauses: int = 0
    second_instance: bool = False

    def outage(self, monday: datetime, now: datetime) -> dict[str, float] | None:
        """The sandbox's faults while Jira is down at `now`, or None when it is up."""
        for offset, faults in MONDAY_OFFSETS:
            start = monday + offset
            if start <= now < start + timedelta(minutes=self.outage_minutes):
                return faults
        return None

    @property
    def loses_cycles(self) -> bool:
        return bool(self.outage_minutes or self.pauses)

    def pause_ticks(self, ticks: int) -> set[int]:
        """Ticks spread evenly over the week, each at the half hour after a round one."""
        return {(i + 1) * ticks // (self.pauses + 1) | 1 for i in range(self.pauses)}


@dataclass
class Stage:
    """Plays the situations in one faulty run and tallies what happened."""

    situations: Situations
    world: Any  # fault_equivalence.World; typed loosely to keep the two modules apart
    monday: datetime
    normal_faults: dict[str, Any]
    pause_at: set[int] = field(default_factory=set)
    paused: tuple[subprocess.Popen[bytes], datetime] | None = None
    outage_cycles: int = 0
    outage_failed: int = 0
    mails_waited: int = 0
    pauses_done: int = 0
    locked_out: int = 0
    second: tuple[int, str] | None = None
    _down: bool = False

    def before(self, tick: int, now: datetime, arrived: int, chooser: random.Random) -> bool:
        """Set up the tick's situation; True when its cycle may fail (down or locked out)."""
        if self.paused is not None:
            if now < self.paused[1] + PAUSE:
                self.locked_out += 1
                return True
            self._resume()
        if now == self.monday + SECOND_INSTANCE_AT and self.situations.second_instance:
            self.second = self._second_instance(now)
        if tick in self.pause_at:
            self._pause(now, chooser)
            return True
        faults = self.situations.outage(self.monday, now)
        if faults is not None:
            self._down = True
            self.outage_cycles += 1
            self.mails_waited += arrived
            self.world.sandbox.faults(**faults)
            return True
        return False

    def after(self, tick: int, completed: bool) -> None:
        """Jira back up after an outage's cycle; count the cycles the outage failed."""
        if self._down:
            self.outage_failed += not completed
            self.world.sandbox.faults(seed=self.world.seed + tick, **self.normal_faults)
            self._down = False

    def finish(self) -> None:
        """Wake a process still paused at the end of the week, before the world settles."""
        if self.paused is not None:
            self._resume()

    def _pause(self, now: datetime, chooser: random.Random) -> None:
        """SIGSTOP a `once` in the middle of its cycle."""
        process = interrupted(self.world, now, chooser, signal.SIGSTOP)
        if process is not None:
            self.paused = (process, now)
            self.pauses_done += 1

    def _resume(self) -> None:
        assert self.paused is not None
        process = self.paused[0]
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=300)
        self.paused = None

    def _second_instance(self, now: datetime) -> tuple[int, str]:
        """Another ticketflow with a state file of its own: its exit code and last words."""
        folder = self.world.folder / "second"
        folder.mkdir(exist_ok=True)
        env = {**self.world.env(now), "TICKETFLOW_STATE_DB": str(folder / "state.db")}
        done = subprocess.run(
            [sys.executable, "-m", "connector", "once", "--now", now.isoformat()],
            env=env, capture_output=True, text=True, check=False, timeout=300)
        said = (done.stderr.strip().splitlines() or [""])[-1]
        return done.returncode, re.sub(r"\(state [^)]*\)", "(state ...)", said)

    def rows(self) -> list[list[str]]:
        """The table's rows for the situations played (clean run: none)."""
        rows = []
        if self.situations.outage_minutes:
            rows += [["Jira down (503 Tue 10:00, refused Wed 11:00), minutes each", "0",
                      f"{self.situations.outage_minutes:g}"],
                     ["cycles begun in an outage / failed", "0 / 0",
                      f"{self.outage_cycles} / {self.outage_failed}"],
                     ["mails arrived just before an outage's cycle (waited)", "0",
                      str(self.mails_waited)]]
        if self.situations.pauses:
            rows += [["processes SIGSTOPped mid-cycle for a simulated hour", "0",
                      str(self.pauses_done)],
                     ["cycles meanwhile that found the state locked", "0",
                      str(self.locked_out)]]
        if self.situations.second_instance:
            code, said = self.second or (-1, "never started")
            rows += [["second instance (own state file): exit code", "-", str(code)],
                     ["second instance said", "-", said[:100]]]
        return rows


def waits_normalised(clean: dict[str, Any], faulty: dict[str, Any]) -> int:
    """Compare the runs' texts with the escalations' waits marked (as dates are): how many
    messages differed in nothing else."""
    before = sum(clean["bodies"][m] != faulty["bodies"].get(m, clean["bodies"][m])
                 for m in clean["bodies"])
    for run in (clean, faulty):
        run["bodies"] = {m: WAITED.sub("after <waited> in", text)
                         for m, text in run["bodies"].items()}
    return before - sum(clean["bodies"][m] != faulty["bodies"].get(m, clean["bodies"][m])
                        for m in clean["bodies"])
