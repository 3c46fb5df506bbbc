"""The service loop survives a failing job, delivers on a thread of its own (a hanging mail
server holds nothing else back), says what each cycle did, and health says why it is
unhealthy, delivery being stuck included. A webhook's wake-up starts a sync before its timer,
debounced, and a sync that performed actions delivers at once. Between jobs, the state's
housekeeping (SQLite's checkpoint) runs."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.clock import SettableClock, SystemClock
from connector.mail.outbox import Delivery
from connector.mail.pause import Pause
from connector.state.base import Bookmark, Transaction
from connector.state.sqlite import SqliteStateStore
from connector.sync.loop import Health, Intervals, ServiceLoop
from connector.sync.summary import CycleTally
from connector.sync.wakeup import PollWakeup

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


class FlakyCycle:
    """A cycle whose sync fails once, then works; delivery stops the loop once a sync ran."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.calls: list[str] = []
        self.synced = threading.Event()

    def read_mail(self) -> None:
        self.calls.append("mail")

    def sync(self) -> None:
        self.calls.append("sync")
        self.synced.set()
        if self.calls.count("sync") == 1:
            raise RuntimeError("Jira fell over")

    def deliver_mail(self) -> None:
        self.synced.wait(timeout=10)
        self.calls.append("deliver")
        self.stop.set()


def test_a_failing_job_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    """The first sync raises; it is logged with its job name, health records it, and mail and
    delivery still run; a later successful sync clears the error."""
    stop = threading.Event()
    cycle = FlakyCycle(stop)
    health = Health(SettableClock(NOW), stale_after=timedelta(minutes=5))
    loop = ServiceLoop(cycle, intervals=Intervals(), health=health, stop=stop)  # type: ignore[arg-type]
    caplog.set_level(logging.ERROR)
    assert loop.run() == 0
    assert sorted(cycle.calls) == ["deliver", "mail", "sync"]
    assert "sync job failed" in caplog.text
    assert health.status() == (False, "no sync has completed yet (sync: RuntimeError: Jira fell "
                                      "over)")
    stop.clear()
    loop._job("sync", cycle.sync)
    assert health.status()[0]
    stop.set()
    loop._job("sync", cycle.sync)
    assert cycle.calls.count("sync") == 2


def test_health_turns_unhealthy_when_syncs_stop() -> None:
    """Healthy right after a sync; 503-worthy with the age and the last error once stale."""
    clock = SettableClock(NOW)
    health = Health(clock, stale_after=timedelta(minutes=5))
    health.succeeded("sync")
    assert health.status() == (True, "last successful sync 0s ago")
    clock.advance(timedelta(minutes=6))
    health.failed("sync", "TimeoutError: Jira did not answer")
    healthy, reason = health.status()
    assert not healthy
    assert reason == ("last successful sync 360s ago (limit 300s); last errors: sync: "
                      "TimeoutError: Jira did not answer")


class MailboxDown:
    """A cycle whose mail step reports a refused login (as intake does) instead of raising."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def read_mail(self) -> object:
        return type("Report", (), {"error": "IMAP login refused: AUTHENTICATIONFAILED"})()

    def sync(self) -> None:
        return None

    def deliver_mail(self) -> None:
        self.stop.set()


def test_a_mail_step_reporting_trouble_counts_as_failed() -> None:
    """Intake does not raise for mailbox trouble; its reported error still reaches /healthz."""
    stop = threading.Event()
    health = Health(SettableClock(NOW), stale_after=timedelta(minutes=5))
    health.succeeded("sync")
    loop = ServiceLoop(MailboxDown(stop), intervals=Intervals(), health=health,  # type: ignore[arg-type]
                       stop=stop)
    loop._job("mail", loop.cycle.read_mail)
    healthy, reason = health.status()
    assert healthy
    assert "mail: IMAP login refused: AUTHENTICATIONFAILED" in reason


def test_stuck_delivery_degrades_health_with_the_reason() -> None:
    """A delivery pass that reports a pause (the SMTP server down) makes /healthz unhealthy,
    saying why, though syncs are recent; the next pass that works makes it healthy again."""
    clock = SettableClock(NOW)
    health = Health(clock, stale_after=timedelta(minutes=5))
    health.succeeded("sync")
    loop = ServiceLoop(MailboxDown(threading.Event()), intervals=Intervals(),  # type: ignore[arg-type]
                       health=health)
    pause = Pause("mail", NOW, 3, NOW + timedelta(minutes=4),
                  "SMTP mail.example.edu:587: ConnectionRefusedError: [Errno 111]")
    loop._job("deliver", lambda: Delivery(paused=(pause,)))
    healthy, reason = health.status()
    assert not healthy
    assert reason.startswith("delivery stuck: mail delivery paused since 2026-12-01T15:00+00:00 "
                             "(3 failed tries; next at 2026-12-01T15:04+00:00): SMTP "
                             "mail.example.edu:587: ConnectionRefusedError")
    loop._job("deliver", lambda: Delivery(sent=4))
    assert health.status() == (True, "last successful sync 0s ago")


@dataclass
class HangingDelivery:
    """Delivery that hangs (a mail server that never answers) until two syncs have run."""

    stop: threading.Event
    syncs: int = 0
    released: bool = False

    def __post_init__(self) -> None:
        self.two_syncs = threading.Event()

    def read_mail(self) -> None:
        return None

    def sync(self) -> None:
        self.syncs += 1
        if self.syncs == 2:
            self.two_syncs.set()
            self.stop.set()

    def deliver_mail(self) -> None:
        # On the main thread this would wait out the whole timeout: no second sync could run.
        self.released = self.two_syncs.wait(timeout=15)


def test_a_hanging_delivery_does_not_hold_sync_back() -> None:
    """While a delivery pass hangs, sync runs on its timer (here every second) again and
    again: delivery has a thread of its own."""
    stop = threading.Event()
    cycle = HangingDelivery(stop)
    health = Health(SettableClock(NOW), stale_after=timedelta(minutes=5))
    loop = ServiceLoop(cycle, intervals=Intervals(mail=60, poll=1, delivery=60),  # type: ignore[arg-type]
                       health=health, stop=stop)
    assert loop.run() == 0
    assert cycle.released and cycle.syncs == 2


@dataclass
class Report:
    """Stand-ins with the attributes the steps' reports carry."""

    read: int = 0
    tickets: int = 0
    comments: int = 0
    sent: int = 0
    failed: int = 0
    performed: tuple[object, ...] = ()
    status: str = ""


def test_one_line_per_cycle_with_counts_and_request_cost(
        caplog: pytest.LogCaptureFixture) -> None:
    """Mail and delivery counts since the last line, the sync's actions by outcome, and the
    tracker requests made meanwhile (from the metrics counter) make one INFO line; the next
    line starts counting afresh."""
    requests = iter([100.0, 107.0, 107.0])
    tally = CycleTally(requests=lambda: next(requests))
    tally.add("mail", Report(read=2, tickets=1, comments=1))
    tally.add("deliver", Report(sent=3, failed=1))
    tally.add("deliver", Report(sent=1))
    tally.add("deliver", None)
    caplog.set_level(logging.INFO, logger="connector.cycle")
    statuses = ("done", "done", "done", "skipped", "blocked", "blocked", "superseded")
    tally.cycle_done(Report(performed=tuple(Report(status=s) for s in statuses)), 0.42)
    tally.cycle_done(Report(), 0.1)
    first, second = (vars(r) for r in caplog.records)
    assert {k: first[k] for k in FIELDS} == {
        "mail_read": 2, "tickets_created": 1, "comments_made": 1, "actions_performed": 3,
        "actions_skipped": 1, "actions_failed": 0, "actions_blocked": 2,
        "actions_superseded": 1, "messages_sent": 4, "messages_failed": 1,
        "tracker_requests": 7, "seconds": 0.42}
    assert first["message"] == "cycle done"
    assert {k: second[k] for k in FIELDS} == dict.fromkeys(FIELDS, 0) | {"seconds": 0.1}


FIELDS = ("mail_read", "tickets_created", "comments_made", "actions_performed",
          "actions_skipped", "actions_failed", "actions_blocked", "actions_superseded",
          "messages_sent", "messages_failed", "tracker_requests", "seconds")


class WokenCycle:
    """Counts syncs; the second one (the first a webhook woke) waits for `release`, and a
    sync returns `performed` from the third on, as one that queued messages does."""

    def __init__(self) -> None:
        self.syncs = 0
        self.deliveries = 0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.second_started = threading.Event()
        self.release = threading.Event()

    def read_mail(self) -> None:
        return None

    def sync(self) -> Report:
        with self.changed:
            self.syncs += 1
            count = self.syncs
            self.changed.notify_all()
        if count == 2:
            self.second_started.set()
            self.release.wait(timeout=10)
        return Report(performed=(Report(status="done"),) if count >= 3 else ())

    def deliver_mail(self) -> None:
        with self.changed:
            self.deliveries += 1
            self.changed.notify_all()

    def wait_for(self, what: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(what, timeout=10)


def _woken_loop(cycle: WokenCycle) -> tuple[ServiceLoop, PollWakeup, threading.Thread]:
    """A loop whose timers never fire during the test (an hour), with a short floor."""
    wakeup = PollWakeup(SystemClock(), floor=timedelta(milliseconds=50))
    loop = ServiceLoop(cycle, intervals=Intervals(mail=3600, poll=3600, delivery=3600),  # type: ignore[arg-type]
                       health=Health(SettableClock(NOW), stale_after=timedelta(minutes=5)),
                       wakeup=wakeup)
    runner = threading.Thread(target=loop.run, daemon=True)
    runner.start()
    assert cycle.wait_for(lambda: cycle.syncs == 1 and cycle.deliveries == 1)  # the first pass
    return loop, wakeup, runner


def test_a_burst_of_webhooks_wakes_one_sync_and_one_more_after_it() -> None:
    """With the poll timer an hour away, a webhook starts a sync at once; fifty more arriving
    from several threads while it runs start no second one beside it, and exactly one sync
    follows it, after which nothing waits."""
    cycle = WokenCycle()
    loop, wakeup, runner = _woken_loop(cycle)
    wakeup.request()
    assert cycle.second_started.wait(timeout=10)
    senders = [threading.Thread(target=lambda: [wakeup.request() for _ in range(10)])
               for _ in range(5)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert cycle.syncs == 2  # still the one in flight
    cycle.release.set()
    assert cycle.wait_for(lambda: cycle.syncs == 3)
    assert cycle.wait_for(lambda: not wakeup.pending)
    loop.stop.set()
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert cycle.syncs == 3


def test_a_sync_that_performed_actions_delivers_at_once() -> None:
    """Delivery's timer is an hour away; a sync that performed something (queued messages)
    wakes delivery right after it, so the message does not wait for the timer."""
    cycle = WokenCycle()
    cycle.release.set()
    loop, wakeup, runner = _woken_loop(cycle)
    wakeup.request()  # sync 2: performs nothing, so no delivery
    assert cycle.wait_for(lambda: cycle.syncs == 2)
    wakeup.request()  # sync 3: performs an action
    assert cycle.wait_for(lambda: cycle.syncs == 3)
    assert cycle.wait_for(lambda: cycle.deliveries == 2)
    loop.stop.set()
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert cycle.deliveries == 2


def test_after_a_job_the_state_file_itself_holds_what_the_job_wrote(tmp_path: Path) -> None:
    """Between jobs the loop has SQLite copy its write-ahead log back into the database file
    (so no later cycle's commit pays for it): a copy of the file alone, without its `-wal`,
    holds the bookmark the sync job just committed; before the job's end it did not."""
    store = SqliteStateStore(tmp_path / "state.db")
    seen_before: list[Bookmark | None] = []

    class Writing:
        def sync(self) -> None:
            store.commit(Transaction(bookmark=Bookmark("HELP", NOW)))
            seen_before.append(_file_alone(tmp_path, "before"))

    health = Health(SettableClock(NOW), stale_after=timedelta(minutes=5))
    loop = ServiceLoop(Writing(), intervals=Intervals(), health=health,  # type: ignore[arg-type]
                       tidy=store.tidy)
    try:
        loop._job("sync", loop.cycle.sync)
        assert seen_before == [None]
        written = store.bookmark("HELP")
        assert written is not None and _file_alone(tmp_path, "after") == written
    finally:
        store.close()


def _file_alone(folder: Path, name: str) -> Bookmark | None:
    """The HELP bookmark in a copy of state.db made without its write-ahead log."""
    copy = folder / f"{name}.db"
    shutil.copyfile(folder / "state.db", copy)
    opened = SqliteStateStore(copy)
    try:
        return opened.bookmark("HELP")
    finally:
        opened.close()


def test_the_housekeeping_runs_on_the_main_thread_only() -> None:
    """The state's housekeeping follows the main thread's jobs (mail, sync), never delivery's
    on its own thread: a SQLite connection may only be used on the thread that made it, and
    the service's stderr stays quiet."""
    stop = threading.Event()
    synced = threading.Event()
    tidied_on: list[str] = []

    class Quiet:
        def read_mail(self) -> None:
            pass

        def sync(self) -> None:
            synced.set()

        def deliver_mail(self) -> None:
            synced.wait(timeout=10)
            stop.set()

    health = Health(SettableClock(NOW), stale_after=timedelta(minutes=5))
    loop = ServiceLoop(Quiet(), intervals=Intervals(), health=health,  # type: ignore[arg-type]
                       stop=stop, tidy=lambda: tidied_on.append(threading.current_thread().name))
    assert loop.run() == 0
    assert tidied_on and set(tidied_on) == {threading.main_thread().name}
