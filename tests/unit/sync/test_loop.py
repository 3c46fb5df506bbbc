"""The service loop survives a failing job, and health says why it is unhealthy."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from connector.clock import SettableClock
from connector.sync.loop import Health, Intervals, ServiceLoop

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


class FlakyCycle:
    """A cycle whose sync fails once, then works; it stops the loop after its second sync."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.calls: list[str] = []

    def read_mail(self) -> None:
        self.calls.append("mail")

    def sync(self) -> None:
        self.calls.append("sync")
        if self.calls.count("sync") == 1:
            raise RuntimeError("Jira fell over")

    def deliver_mail(self) -> None:
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
    assert cycle.calls == ["mail", "sync", "deliver"]
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
    health.failed("sync", TimeoutError("Jira did not answer"))
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
    loop = ServiceLoop(MailboxDown(stop), intervals=Intervals(), health=health,  # type: ignore[arg-type]
                       stop=stop)
    assert loop.run() == 0
    healthy, reason = health.status()
    assert healthy
    assert "mail: RuntimeError: IMAP login refused: AUTHENTICATIONFAILED" in reason
