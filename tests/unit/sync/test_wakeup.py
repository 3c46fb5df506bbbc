"""The debounce between webhooks and polls, on an injected clock: the first webhook of a
burst polls at once, the rest share one poll after it, never two polls at once, and never two
starts closer than the floor."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from connector.clock import SettableClock
from connector.sync.wakeup import EXPORT_FLOOR, FLOOR, LAG_MARGIN, PollWakeup, for_tracker
from connector.tracker.fake import FakeTracker

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
TICK = timedelta(milliseconds=10)


class Driver:
    """What the service loop does with the wake-up, in simulated time: every tick, start the
    poll that is due; a poll takes `poll_takes`, during which webhooks keep arriving."""

    def __init__(self, wakeup: PollWakeup, clock: SettableClock,
                 poll_takes: timedelta = timedelta(milliseconds=300)) -> None:
        self.wakeup = wakeup
        self.clock = clock
        self.poll_takes = poll_takes
        self.starts: list[datetime] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def run(self, until: datetime, arrivals: list[datetime]) -> None:
        arrivals = sorted(arrivals)
        while self.clock.now() < until:
            while arrivals and arrivals[0] <= self.clock.now():
                arrivals.pop(0)
                self.wakeup.request()
            if self._poll_now():
                self._poll(arrivals)
            else:
                self.clock.advance(TICK)

    def _poll_now(self) -> bool:
        return self.wakeup.due()

    def _poll(self, arrivals: list[datetime]) -> None:
        with self.wakeup.polling():
            self.starts.append(self.clock.now())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            end = self.clock.now() + self.poll_takes
            while self.clock.now() < end:  # webhooks arriving while the poll runs
                self.clock.advance(TICK)
                while arrivals and arrivals[0] <= self.clock.now():
                    arrivals.pop(0)
                    self.wakeup.request()
                    assert not self.wakeup.due()  # never a second poll in flight
            self.in_flight -= 1


class TimedDriver(Driver):
    """The same, with the loop's own timer too: a poll `every` after the last one started,
    whether or not a request waits (a woken poll restarts the timer)."""

    def __init__(self, wakeup: PollWakeup, clock: SettableClock, every: timedelta) -> None:
        super().__init__(wakeup, clock)
        self.every = every

    def _poll_now(self) -> bool:
        timer_due = not self.starts or self.clock.now() - self.starts[-1] >= self.every
        return timer_due or self.wakeup.due()


def test_one_webhook_polls_at_once() -> None:
    """Nothing happened for a while: a webhook's poll is due immediately, and only once."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock)
    assert not wakeup.due()
    wakeup.request()
    assert wakeup.seconds_until_due() == 0.0
    with wakeup.polling():
        assert not wakeup.due()
    assert not wakeup.pending and not wakeup.due()


def test_a_burst_of_50_gives_at_most_two_polls_never_overlapping() -> None:
    """Fifty webhooks within half a second (random moments, fixed seed): one poll at the
    first, one more for all that came during it; the two starts are at least the floor
    apart, and never two in flight."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock)
    draw = random.Random(18)
    arrivals = [NOW + timedelta(milliseconds=draw.uniform(0, 500)) for _ in range(50)]
    driver = Driver(wakeup, clock)
    driver.run(NOW + timedelta(seconds=10), arrivals)
    assert len(driver.starts) == 2
    assert timedelta(0) <= driver.starts[0] - min(arrivals) <= TICK  # at the first one
    assert driver.starts[1] - driver.starts[0] >= FLOOR
    assert driver.most_in_flight == 1
    assert not wakeup.pending


def test_a_burst_before_any_poll_gives_one() -> None:
    """Fifty requests before the loop looks: one poll serves them all."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock)
    for _ in range(50):
        wakeup.request()
    driver = Driver(wakeup, clock)
    driver.run(NOW + timedelta(seconds=10), [])
    assert driver.starts == [NOW]


def test_a_steady_stream_never_polls_more_often_than_the_floor() -> None:
    """A webhook every 100 ms for a minute: polls start no closer than the floor apart, about
    one per floor, and the last webhook is served by a poll that started after it."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock)
    arrivals = [NOW + timedelta(milliseconds=100 * n) for n in range(600)]
    driver = Driver(wakeup, clock)
    driver.run(NOW + timedelta(seconds=70), arrivals)
    gaps = [b - a for a, b in zip(driver.starts, driver.starts[1:], strict=False)]
    assert min(gaps) >= FLOOR
    assert len(driver.starts) <= 60 / FLOOR.total_seconds() + 1
    assert driver.starts[-1] >= arrivals[-1]


def test_a_timed_poll_serves_what_came_before_it() -> None:
    """A request followed by the loop's own timed poll needs no second poll; a request during
    that poll does, once the floor allows."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock)
    wakeup.request()
    with wakeup.polling():  # the timer's poll, started after the request
        clock.advance(timedelta(milliseconds=500))
        wakeup.request()
    assert wakeup.pending and not wakeup.due()
    assert wakeup.seconds_until_due() == (FLOOR - timedelta(milliseconds=500)).total_seconds()
    clock.advance(FLOOR)
    assert wakeup.due()


def test_a_clock_stepping_back_does_not_hold_polls_back() -> None:
    """The wall clock set back an hour after a poll: a new request is due at once rather than
    waiting an hour plus the floor."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock)
    with wakeup.polling():
        pass
    clock.set(NOW - timedelta(hours=1))
    wakeup.request()
    assert wakeup.due()


# -- a feed that lags (Zendesk's exports leave out their last minute) ---------------------

LAG = timedelta(seconds=63)


def test_a_request_on_a_lagging_feed_waits_the_lag() -> None:
    """A webhook on a feed that leaves out its last 63 s: no poll before its change can be
    in the feed, one as soon as it can, and that poll serves it."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock, lag=LAG)
    wakeup.request()
    assert wakeup.seconds_until_due() == LAG.total_seconds()
    clock.advance(LAG - TICK)
    assert not wakeup.due()
    clock.advance(TICK)
    assert wakeup.due()
    with wakeup.polling():
        pass
    assert not wakeup.pending


def test_a_timed_poll_before_the_change_is_in_the_feed_does_not_swallow_it() -> None:
    """The timer's poll 30 s after a webhook cannot see its change: the request stays, due
    at the webhook plus the lag (not the timed poll plus anything), and the poll then
    serves it."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock, lag=LAG)
    wakeup.request()
    clock.advance(timedelta(seconds=30))
    with wakeup.polling():  # the timer's poll
        clock.advance(timedelta(milliseconds=300))
    assert wakeup.pending
    assert wakeup.seconds_until_due() == pytest.approx((LAG - timedelta(
        seconds=30, milliseconds=300)).total_seconds())
    clock.set(NOW + LAG)
    assert wakeup.due()
    with wakeup.polling():
        pass
    assert not wakeup.pending


def test_a_poll_serves_the_old_enough_requests_and_keeps_the_newer() -> None:
    """Webhooks at 0 s and 40 s: the poll at 63 s serves the first only; the second is due
    at 103 s."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock, lag=LAG)
    wakeup.request()
    clock.advance(timedelta(seconds=40))
    wakeup.request()
    clock.set(NOW + LAG)
    assert wakeup.due()
    with wakeup.polling():
        pass
    assert wakeup.pending
    assert wakeup.seconds_until_due() == 40.0


def test_a_burst_on_a_lagging_feed_gives_one_poll_after_the_lag() -> None:
    """Fifty webhooks within half a second on a lagging feed: one poll, no sooner than the
    lag after the last of them and within a tick of it, never two in flight."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock, lag=LAG)
    draw = random.Random(18)
    arrivals = [NOW + timedelta(milliseconds=draw.uniform(0, 500)) for _ in range(50)]
    driver = Driver(wakeup, clock)
    driver.run(NOW + LAG + timedelta(seconds=10), arrivals)
    assert len(driver.starts) == 1
    assert timedelta(0) <= driver.starts[0] - (max(arrivals) + LAG) <= TICK
    assert driver.most_in_flight == 1
    assert not wakeup.pending


def test_a_steady_stream_on_a_lagging_feed_is_served_within_lag_and_floor() -> None:
    """A webhook every 700 ms for two minutes with timed polls every 20 s among them: every
    webhook is served by a poll that starts at least the lag after it (so it can see the
    change) and at most the lag, the floor and one poll's run later; polls stay the floor
    apart and one at a time."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock, lag=LAG)
    arrivals = [NOW + timedelta(milliseconds=700 * n) for n in range(172)]
    driver = TimedDriver(wakeup, clock, every=timedelta(seconds=20))
    driver.run(NOW + timedelta(minutes=4), arrivals)
    for arrival in arrivals:
        serving = next(start for start in driver.starts if start - LAG >= arrival)
        assert serving - arrival <= LAG + FLOOR + driver.poll_takes + TICK
    gaps = [b - a for a, b in zip(driver.starts, driver.starts[1:], strict=False)]
    assert min(gaps) >= FLOOR
    assert driver.most_in_flight == 1
    assert not wakeup.pending


def test_a_clock_stepping_back_does_not_hold_a_lagging_request_past_the_lag() -> None:
    """A request, then the wall clock set back an hour: the request is due within the lag
    of the new time, not an hour later."""
    clock = SettableClock(NOW)
    wakeup = PollWakeup(clock, lag=LAG)
    wakeup.request()
    clock.set(NOW - timedelta(hours=1))
    assert wakeup.seconds_until_due() == LAG.total_seconds()


class ExportTracker(FakeTracker):
    """A tracker whose change feed leaves out its last minute, as Zendesk's exports do."""

    feed_lag = timedelta(minutes=1)

    def count_changed_within(self, span: timedelta) -> int:
        return 0


def test_the_wake_up_for_a_lagging_feed_waits_its_lag_and_spares_its_export_limit() -> None:
    """What `run` builds: on a feed without lag (Jira) a poll at once, the 2 s floor; on one
    with Zendesk's minute, the minute and the margin, and the floor that keeps woken polls
    within Zendesk's 10 export requests a minute (two a poll)."""
    clock = SettableClock(NOW)
    plain, lagging = (kind(clock=clock, project="HELP", statuses=["Open"], done=[],
                           initial="Open", transitions=[])
                      for kind in (FakeTracker, ExportTracker))
    jira, zendesk = for_tracker(clock, plain), for_tracker(clock, lagging)
    assert (jira.lag, jira.floor) == (timedelta(0), FLOOR)
    assert zendesk.lag == timedelta(minutes=1) + LAG_MARGIN
    assert zendesk.floor == EXPORT_FLOOR
    assert 2 * timedelta(minutes=1) / EXPORT_FLOOR <= 10
