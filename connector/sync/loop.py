"""The service loop of `ticketflow run`: the cycle's steps on their own timers until stopped.

Mail and sync take turns on the main thread; delivery runs on a thread of its own, so a mail
server that hangs (each send waits out its timeout) never holds intake and sync hostage. A
webhook (through `PollWakeup`) starts a sync before its timer, and a sync that performed
actions wakes delivery, so what it queued goes out at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Protocol

import schedule

from connector import metrics
from connector.clock import Clock
from connector.errors import LeaseLostError, OwnershipError
from connector.sync.cycle import Cycle
from connector.sync.leader import Leader
from connector.sync.reload import Running
from connector.sync.summary import CycleTally
from connector.sync.wakeup import PollWakeup

log = logging.getLogger(__name__)
# Jobs whose reported trouble makes /healthz unhealthy until they work again: delivery that
# is stuck (its server down) loses nothing, but customers are not being told anything.
DEGRADING = ("deliver",)
# How long a stopping service waits for a delivery in hand (a send waiting on a slow server).
DELIVERY_JOIN_SECONDS = 5.0
# How often a loop that waits for webhooks looks whether it was told to stop.
STOP_CHECK_SECONDS = 0.2


@dataclass
class Health:
    """What /healthz reports: healthy while the last successful sync is recent."""

    clock: Clock
    stale_after: timedelta
    started: datetime | None = None
    last_success: dict[str, datetime] = field(default_factory=dict)
    last_error: dict[str, str] = field(default_factory=dict)
    # An edited configuration that was refused: said on /healthz, which stays 200 (the last
    # good configuration runs; an orchestrator restarting the service would make it worse).
    config_note: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    # When each job's last successful run began: work started after a moment was seen by it.
    last_success_started: dict[str, datetime] = field(default_factory=dict)
    leader: Leader | None = None  # a replica: its role comes first

    def succeeded(self, job: str, *, started: datetime | None = None) -> None:
        with self.lock:
            self.last_success[job] = self.clock.now()
            self.last_success_started[job] = started or self.last_success[job]
            self.last_error.pop(job, None)

    def failed(self, job: str, reason: str) -> None:
        with self.lock:
            self.last_error[job] = reason

    def config_rejected(self, reason: str) -> None:
        """Why the edited configuration was refused ("" once one is accepted)."""
        with self.lock:
            self.config_note = reason

    def status(self) -> tuple[bool, str]:
        """(healthy, reason) for the probe. A standby is healthy: it is ready to take over,
        and nothing of the work is its to do; a leader says so after its sync's health."""
        if self.leader is not None:
            lease = self.leader.status()
            if lease.role == "standby":
                return True, lease.describe()
            if lease.role == "starting":
                return False, lease.describe()
            healthy, reason = self._work_status()
            return healthy, f"{reason}; {lease.describe()}"
        return self._work_status()

    def details(self) -> dict[str, object]:
        """The probe's answer with its parts, for `/healthz?format=json`."""
        healthy, reason = self.status()
        with self.lock:
            jobs = {job: {"last_success": at.isoformat(),
                          "last_success_started": self.last_success_started[job].isoformat(),
                          "last_error": self.last_error.get(job)}
                    for job, at in sorted(self.last_success.items())}
        lease = self.leader.status() if self.leader is not None else None
        return {"healthy": healthy, "reason": reason,
                "role": lease.role if lease else "single",
                "lease": None if lease is None else {
                    "holder": lease.holder, "token": lease.token,
                    "expires_at": lease.expires_at.isoformat() if lease.expires_at else None},
                "jobs": jobs}

    def _work_status(self) -> tuple[bool, str]:
        """The work's health; a refused configuration is added to the reason."""
        healthy, reason = self._sync_status()
        with self.lock:
            note = self.config_note
        return healthy, f"{reason}; {note}" if note else reason

    def _sync_status(self) -> tuple[bool, str]:
        with self.lock:
            now = self.clock.now()
            synced = self.last_success.get("sync")
            errors = "; ".join(f"{job}: {text}" for job, text in sorted(self.last_error.items()))
            stuck = "; ".join(self.last_error[job] for job in DEGRADING if job in self.last_error)
        if synced is None:
            return False, "no sync has completed yet" + (f" ({errors})" if errors else "")
        age = now - synced
        if age > self.stale_after:
            return False, (f"last successful sync {int(age.total_seconds())}s ago "
                           f"(limit {int(self.stale_after.total_seconds())}s)"
                           + (f"; last errors: {errors}" if errors else ""))
        if stuck:
            return False, (f"delivery stuck: {stuck}; last successful sync "
                           f"{int(age.total_seconds())}s ago")
        return True, f"last successful sync {int(age.total_seconds())}s ago" + (
            f"; errors since: {errors}" if errors else "")


class Reloading(Protocol):
    """What the loop needs of connector.sync.reload.ConfigReloader."""

    @property
    def service(self) -> Running: ...

    def check(self, why: str = "cycle", *, again: bool = False) -> bool: ...


@dataclass
class Intervals:
    """Seconds between runs of each step."""

    mail: int = 60
    poll: int = 60
    delivery: int = 30


class ServiceLoop:
    """Runs mail and sync on the `schedule` library's timers and delivery on its own thread;
    one job's exception is logged with its context and the loop goes on; SIGTERM/SIGINT
    finish the step in hand."""

    def __init__(self, cycle: Cycle, *, intervals: Intervals, health: Health,
                 stop: threading.Event | None = None, tally: CycleTally | None = None,
                 wakeup: PollWakeup | None = None, leader: Leader | None = None,
                 reloader: Reloading | None = None, hangup: threading.Event | None = None,
                 tidy: Callable[[], None] | None = None) -> None:
        self._cycle = cycle
        self.tidy = tidy  # the state's housekeeping between jobs (StateStore.tidy)
        self.leader = leader
        self.reloader = reloader
        # Set by SIGHUP: look at the configuration now, not at the next sync.
        self.hangup = hangup or threading.Event()
        self.intervals = intervals
        self.health = health
        self.stop = stop or threading.Event()
        self.tally = tally or CycleTally()
        self.wakeup = wakeup
        self.scheduler = schedule.Scheduler()
        self.extra: list[tuple[str, int, Callable[[], object]]] = []
        self.ended_by: OwnershipError | None = None  # why the service stopped by itself
        self._sync_job: schedule.Job | None = None
        # Set by a sync that performed something (and on stopping): delivery goes now.
        self._deliver_now = threading.Event()

    @property
    def cycle(self) -> Cycle:
        """The cycle of the configuration running now (a reload replaces it)."""
        return self.reloader.service.cycle if self.reloader else self._cycle

    def add_job(self, name: str, seconds: int, step: Callable[[], object]) -> None:
        """Another step on its own timer, with the same error handling."""
        self.extra.append((name, seconds, step))

    def jobs(self) -> list[tuple[str, int, Callable[[], object]]]:
        """The jobs of the main thread (delivery has a thread of its own)."""
        return [("mail", self.intervals.mail, self._read_mail),
                ("sync", self.intervals.poll, self._timed_sync), *self.extra]

    def run(self) -> int:
        """Until stopped; returns the exit code (0 after a clean stop)."""
        deliveries = threading.Thread(target=self._deliveries, name="delivery", daemon=True)
        deliveries.start()
        for name, seconds, step in self.jobs():
            job = self.scheduler.every(seconds).seconds.do(self._job, name, step)
            if name == "sync":
                self._sync_job = job  # a woken sync restarts its timer
        self._lead()
        self.scheduler.run_all()  # a first pass right away, then on the timers
        while not self.stop.is_set():
            if self._lead():
                self.scheduler.run_all()  # just took over: a pass at once, not at the timers
            self.reload_if_asked()
            self.scheduler.run_pending()
            self._woken_sync()
            idle = self.scheduler.idle_seconds
            timeout = min(max(idle if idle is not None else 1.0, 0.05), 1.0)
            if self.leader is not None and not self.leader.active:
                # A standby wakes for its next try at the lease, not a second later.
                timeout = min(timeout, max(self.leader.seconds_to_next_try(), 0.05))
            if self.wakeup is not None:
                # Returns early when a webhook's poll is due, but not on a stop: short slices.
                self.wakeup.wait(min(timeout, STOP_CHECK_SECONDS))
            else:
                self.stop.wait(timeout)
        self._deliver_now.set()  # the delivery thread sees the stop now, not after its wait
        deliveries.join(DELIVERY_JOIN_SECONDS)
        if deliveries.is_alive():  # a daemon thread: it ends with the process
            log.warning("stopping without waiting longer for the mail server; the message in "
                        "hand may be sent again at the next start")
        log.info("service stopped")
        if self.ended_by is not None:
            raise self.ended_by
        return 0

    def _lead(self) -> bool:
        """A replica's turn at the lease, between jobs; True when it has just taken over."""
        if self.leader is None or self.leader.active:
            return False
        if not self.leader.try_lead():
            return False
        self._deliver_now.set()
        return True
    def reload_if_asked(self) -> None:
        """After SIGHUP: the configuration is checked now, between two jobs."""
        if self.reloader is None or not self.hangup.is_set():
            return
        self.hangup.clear()
        self._job("reload", self._reload_now)

    def _reload_now(self) -> bool:
        return self.reloader is not None and self.reloader.check("SIGHUP", again=True)

    def _read_mail(self) -> object:
        return self.cycle.read_mail()  # the cycle running now, not the one at start

    def _deliveries(self) -> None:
        """Delivery passes every `intervals.delivery` seconds, the first one right away, and
        one as soon as a sync performed something."""
        while not self.stop.is_set():
            # Its own thread: the state's housekeeping, on the main thread's connection, is not
            # this thread's to do (SQLite connections stay on the thread that made them).
            self._job("deliver", self.cycle.deliver_mail, tidy=False)
            self._deliver_now.wait(self.intervals.delivery)
            self._deliver_now.clear()  # before the pass: a later nudge is another pass

    def _woken_sync(self) -> None:
        """The sync a webhook asked for, when the wake-up's floor allows it. The sync's timer
        then starts again from here: a woken sync is as good as a timed one."""
        if self.wakeup is None or not self.wakeup.due() or self.stop.is_set():
            return
        metrics.WOKEN_POLLS.inc()
        if self._sync_job is not None:
            self.scheduler.cancel_job(self._sync_job)
            self._sync_job = self.scheduler.every(self.intervals.poll).seconds.do(
                self._job, "sync", self._timed_sync)
        self._job("sync", self._timed_sync)

    def _timed_sync(self) -> object:
        if self.reloader is not None:  # between cycles: a sync never sees two configurations
            self.reloader.check()
        started = time.perf_counter()
        try:
            with self.wakeup.polling() if self.wakeup is not None else nullcontext():
                report = self.cycle.sync()
        finally:
            seconds = time.perf_counter() - started
            metrics.CYCLE_SECONDS.observe(seconds)
        self.tally.cycle_done(report, seconds)
        if getattr(report, "performed", None):
            self._deliver_now.set()  # what it queued goes out now, not at the next pass
        return report

    def _job(self, name: str, step: Callable[[], object], *, tidy: bool = True) -> None:
        if self.stop.is_set() or (self.leader is not None and not self.leader.active):
            return  # a standby does none of the work
        started = self.health.clock.now()
        try:
            result = step()
        except OwnershipError as error:  # acting on would double tickets and messages
            self.ended_by = error
            self.stop.set()
            return
        except LeaseLostError as error:  # another replica took over: not this job's failure
            if self.leader is None:
                raise
            self.leader.lost(error)
            return
        except Exception as error:  # one job failing must not stop the service
            log.exception("%s job failed", name, extra={"job": name})
            self._failed(name, f"{type(error).__name__}: {error}")
            return
        self.tally.add(name, result)
        if tidy:
            self._tidy()
        trouble = getattr(result, "error", "")
        if trouble:  # reported, not raised (intake, delivery): the step logged it already
            self._failed(name, str(trouble))
            return
        if name == "sync":
            metrics.CYCLES.labels("ok").inc()
        self.health.succeeded(name, started=started)

    def _tidy(self) -> None:
        """The state's housekeeping, after the job and outside its timing (a WAL checkpoint);
        it never fails a job."""
        if self.tidy is None:
            return
        try:
            self.tidy()
        except Exception:  # housekeeping only: the next job's commit does it if need be
            log.warning("state housekeeping failed", exc_info=True)

    def _failed(self, name: str, reason: str) -> None:
        metrics.JOB_ERRORS.labels(name).inc()
        if name == "sync":
            metrics.CYCLES.labels("failed").inc()
        self.health.failed(name, reason)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` (the step in hand finishes); old handlers come back after."""
    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        log.info("received %s; finishing the step in hand", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def reload_on_hangup(hangup: threading.Event) -> Iterator[None]:
    """SIGHUP sets `hangup` (the loop then checks the configuration, between two jobs)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        log.info("received SIGHUP; checking the configuration")
        hangup.set()

    previous = signal.signal(signal.SIGHUP, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)
