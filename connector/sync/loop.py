"""The service loop of `ticketflow run`: the cycle's steps on their own timers until stopped."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType

import schedule

from connector import metrics
from connector.clock import Clock
from connector.sync.cycle import Cycle

log = logging.getLogger(__name__)


@dataclass
class Health:
    """What /healthz reports: healthy while the last successful sync is recent."""

    clock: Clock
    stale_after: timedelta
    started: datetime | None = None
    last_success: dict[str, datetime] = field(default_factory=dict)
    last_error: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def succeeded(self, job: str) -> None:
        with self.lock:
            self.last_success[job] = self.clock.now()
            self.last_error.pop(job, None)

    def failed(self, job: str, error: BaseException) -> None:
        with self.lock:
            self.last_error[job] = f"{type(error).__name__}: {error}"

    def status(self) -> tuple[bool, str]:
        """(healthy, reason) for the probe."""
        with self.lock:
            now = self.clock.now()
            synced = self.last_success.get("sync")
            errors = "; ".join(f"{job}: {text}" for job, text in sorted(self.last_error.items()))
        if synced is None:
            return False, "no sync has completed yet" + (f" ({errors})" if errors else "")
        age = now - synced
        if age > self.stale_after:
            return False, (f"last successful sync {int(age.total_seconds())}s ago "
                           f"(limit {int(self.stale_after.total_seconds())}s)"
                           + (f"; last errors: {errors}" if errors else ""))
        return True, f"last successful sync {int(age.total_seconds())}s ago" + (
            f"; errors since: {errors}" if errors else "")


@dataclass
class Intervals:
    """Seconds between runs of each step."""

    mail: int = 60
    poll: int = 60
    delivery: int = 30


class ServiceLoop:
    """Runs mail, sync and delivery on the `schedule` library's timers; one job's exception is
    logged with its context and the loop goes on; SIGTERM/SIGINT finish the step in hand."""

    def __init__(self, cycle: Cycle, *, intervals: Intervals, health: Health,
                 stop: threading.Event | None = None) -> None:
        self.cycle = cycle
        self.intervals = intervals
        self.health = health
        self.stop = stop or threading.Event()
        self.scheduler = schedule.Scheduler()
        self.extra: list[tuple[str, int, Callable[[], object]]] = []

    def add_job(self, name: str, seconds: int, step: Callable[[], object]) -> None:
        """Another step on its own timer, with the same error handling."""
        self.extra.append((name, seconds, step))

    def jobs(self) -> list[tuple[str, int, Callable[[], object]]]:
        return [("mail", self.intervals.mail, self.cycle.read_mail),
                ("sync", self.intervals.poll, self._timed_sync),
                ("deliver", self.intervals.delivery, self.cycle.deliver_mail), *self.extra]

    def run(self) -> int:
        """Until stopped; returns the exit code (0 after a clean stop)."""
        for name, seconds, step in self.jobs():
            self.scheduler.every(seconds).seconds.do(self._job, name, step)
        self.scheduler.run_all()  # a first pass right away, then on the timers
        while not self.stop.is_set():
            self.scheduler.run_pending()
            idle = self.scheduler.idle_seconds
            self.stop.wait(timeout=min(max(idle if idle is not None else 1.0, 0.05), 1.0))
        log.info("service stopped")
        return 0

    def _timed_sync(self) -> object:
        started = time.perf_counter()
        try:
            return self.cycle.sync()
        finally:
            metrics.CYCLE_SECONDS.observe(time.perf_counter() - started)

    def _job(self, name: str, step: Callable[[], object]) -> None:
        if self.stop.is_set():
            return
        try:
            _raise_reported(step())
        except Exception as error:  # one job failing must not stop the service
            log.exception("%s job failed", name, extra={"job": name})
            metrics.JOB_ERRORS.labels(name).inc()
            if name == "sync":
                metrics.CYCLES.labels("failed").inc()
            self.health.failed(name, error)
            return
        if name == "sync":
            metrics.CYCLES.labels("ok").inc()
        self.health.succeeded(name)


def _raise_reported(result: object) -> None:
    """A step may report trouble instead of raising (mail intake does): treat it as raised."""
    trouble = getattr(result, "error", "")
    if trouble:
        raise RuntimeError(str(trouble))


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
