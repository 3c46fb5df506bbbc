"""Hot reload in `run`: an edit switches between cycles, a broken edit is refused with its
located errors (in the log, on /healthz, in /metrics) while the last good configuration runs
on, a mappings change is checked against the tracker first, SIGHUP asks at once, and the
feedback form follows the switch. Driven cycle by cycle on the rig's settable clock: no
wall-time waits."""

from __future__ import annotations

import io
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from prometheus_client import generate_latest
from pydantic import SecretStr

from connector.app import Service, build
from connector.config.loader import Config
from connector.errors import ConfigError
from connector.metrics import REGISTRY
from connector.state.sqlite import SqliteStateStore
from connector.sync.loop import Health, Intervals, ServiceLoop, reload_on_hangup
from connector.sync.reload import ConfigReloader
from connector.tracker.base import Tracker
from connector.web.feedback import FeedbackEndpoint
from connector.web.tokens import FeedbackRef, make_token

from .conftest import LedgerRig


class Desk:
    """`run`'s pieces over the rig: the reloader, the loop's sync job, /healthz, /metrics."""

    def __init__(self, rig: LedgerRig) -> None:
        self.rig = rig
        self.checked: list[Config] = []  # configurations checked against the tracker
        self.refuse_mappings: str = ""   # a problem the tracker check reports
        self.health = Health(rig.clock, stale_after=timedelta(minutes=5))
        self.reloader = ConfigReloader(rig.service(), rebuild=self.rebuild, verify=self.verify,
                                       status=self.health)
        self.loop = ServiceLoop(self.reloader.service.cycle, intervals=Intervals(),
                                health=self.health, reloader=self.reloader)

    def rebuild(self, config: Config) -> Service:
        return build(config, self.rig.settings, clock=self.rig.clock, tracker=self.rig.tracker)

    def verify(self, service: Service) -> None:
        self.checked.append(service.config)
        if self.refuse_mappings:
            raise ConfigError([self.refuse_mappings])

    def sync(self) -> None:
        """One scheduled sync job of the loop (the reload check runs first), then delivery."""
        self.rig.advance(timedelta(minutes=1))
        self.loop._job("sync", self.loop._timed_sync)
        self.loop._job("deliver", self.loop.cycle.deliver_mail)

    def healthz(self) -> tuple[bool, str]:
        return self.health.status()

    def metrics(self) -> str:
        return generate_latest(REGISTRY).decode()


@pytest.fixture
def desk(make_rig: Callable[..., LedgerRig]) -> Iterator[Desk]:
    made = Desk(make_rig())
    yield made
    made.reloader.service.close()


def test_a_valid_edit_switches_between_cycles(desk: Desk) -> None:
    """A ticket before the edit gets the old acknowledgement, one after it the new one; the
    generation and the digest in /metrics move on; mappings.yaml did not change, so the
    tracker is not asked."""
    rig = desk.rig
    first = desk.reloader.service.config.digest
    before = rig.new_ticket("Cannot log in")
    desk.sync()
    assert len(rig.mails(before, "request_submitted")) == 1
    assert "ticketflow_config_generation 1.0" in desk.metrics()

    rig.edit("rules.yaml", "template: request_submitted}", "template: work_started}")
    after = rig.new_ticket("Export fails")
    desk.sync()
    assert len(rig.mails(after, "work_started")) == 1
    assert rig.mails(after, "request_submitted") == []
    assert desk.reloader.generation == 2
    digest = desk.reloader.service.config.digest
    assert digest != first
    text = desk.metrics()
    assert "ticketflow_config_generation 2.0" in text
    assert f'ticketflow_config_info{{digest="{digest}"}} 1.0' in text
    assert first not in text
    assert desk.checked == []
    desk.sync()  # nothing changed since: no new generation
    assert desk.reloader.generation == 2


def test_a_broken_edit_is_refused_and_the_last_good_one_runs_on(
        desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    """A typo in rules.yaml: refused with its located error, logged once (not every cycle),
    said on /healthz (still healthy: restarting would not help) and in /metrics; new tickets
    are still acknowledged by the running rules. The fix is taken at the next cycle."""
    rig = desk.rig
    caplog.set_level(logging.INFO, logger="connector.sync.reload")
    rig.edit("rules.yaml", "    on: created\n", "    on: creatd\n")
    key = rig.new_ticket("Cannot log in")
    desk.sync()
    desk.sync()
    assert len(rig.mails(key, "request_submitted")) == 1
    healthy, reason = desk.healthz()
    assert healthy
    assert "; configuration rejected: rules.yaml:94:5: rules[0].on: " in reason
    assert "running the last good one (generation 1, " in reason
    rejections = [r for r in caplog.records if r.getMessage().startswith(
        "configuration rejected: rules.yaml:94:5")]
    assert len(rejections) == 1
    assert "ticketflow_config_rejected 1.0" in desk.metrics()
    assert desk.reloader.generation == 1

    rig.edit("rules.yaml", "    on: creatd\n", "    on: created\n")
    rig.edit("rules.yaml", "template: request_submitted}", "template: work_started}")
    desk.sync()
    assert desk.reloader.generation == 2
    assert "configuration rejected" not in desk.healthz()[1]
    assert "ticketflow_config_rejected 0.0" in desk.metrics()


def test_a_mappings_edit_is_checked_against_the_tracker_first(desk: Desk) -> None:
    """A changed mappings.yaml is switched to only once the tracker check passes; a refusal
    names the tracker's problem on /healthz and keeps the running mappings."""
    rig = desk.rig
    rig.edit("mappings.yaml", "assign: least_loaded", "assign: round_robin")
    desk.refuse_mappings = "mappings.yaml:19:3: roles.tier2: no such group in Jira"
    desk.sync()
    assert len(desk.checked) == 1
    assert desk.reloader.generation == 1
    assert "configuration rejected: mappings.yaml:19:3: roles.tier2" in desk.healthz()[1]
    assert desk.reloader.service.config.mappings.roles["tier2"].assign == "least_loaded"

    desk.refuse_mappings = ""  # the tracker fixed, the file unchanged: SIGHUP asks again
    desk.sync()
    assert len(desk.checked) == 1  # a refused edit is not read again every cycle
    desk.loop.hangup.set()
    desk.loop.reload_if_asked()
    assert len(desk.checked) == 2
    assert desk.reloader.generation == 2
    assert desk.reloader.service.config.mappings.roles["tier2"].assign == "round_robin"


def test_sighup_asks_the_loop_to_check_now() -> None:
    """SIGHUP to the process sets the loop's hangup flag (the loop then checks between jobs);
    the previous handler comes back afterwards."""
    hangup = threading.Event()
    before = signal.getsignal(signal.SIGHUP)
    with reload_on_hangup(hangup):
        os.kill(os.getpid(), signal.SIGHUP)
        assert hangup.is_set()
    assert signal.getsignal(signal.SIGHUP) == before


def test_the_feedback_form_answers_with_the_configuration_running_now(
        make_rig: Callable[..., LedgerRig]) -> None:
    """`run`'s /feedback/ after a reload: mappings.yaml at first keeps no satisfaction field,
    so an answer is only an internal comment; the admin adds the field, the next cycle
    switches to it, and the next answer is written into the field too, with a tracker
    client made for the new mappings (no restart)."""
    rig = make_rig(first_run=False)
    satisfaction = "    satisfaction: {custom_field: customfield_10073}"
    rig.edit("mappings.yaml", satisfaction, "")
    rig.cycle()
    desk = Desk(rig)
    made_for: list[Config] = []

    def connect(config: Config) -> Tracker:
        made_for.append(config)
        return rig.tracker

    settings = rig.settings.model_copy(update={"feedback_secret": SecretStr("s3cret")})
    form = FeedbackEndpoint(config=lambda: desk.reloader.service.config, settings=settings,
                            clock=rig.clock, connect=connect,
                            open_store=lambda: SqliteStateStore(rig.settings.state_db))

    def answer(key: str, score: int) -> int:
        ref = FeedbackRef(key, 1, rig.clock.now() + timedelta(days=1))
        body = f"score={score}".encode()
        seen: list[str] = []
        list(form({"REQUEST_METHOD": "POST", "PATH_INFO": "/feedback/" + make_token(
            b"s3cret", ref), "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)},
            lambda status, headers: seen.append(status)))
        return int(seen[0].split()[0])

    try:
        before, after = rig.new_ticket("Cannot log in"), rig.new_ticket("Export fails")
        assert answer(before, 4) == 200
        assert rig.tracker.ticket(before).satisfaction is None
        assert "4/5" in rig.tracker.comments(before)[-1].body

        rig.edit("mappings.yaml", "    customer_email:", f"{satisfaction}\n    customer_email:")
        desk.sync()
        assert desk.reloader.generation == 2
        assert answer(after, 2) == 200
        assert rig.tracker.ticket(after).satisfaction == 2
        assert [c.mappings.keeps_satisfaction for c in made_for] == [False, True]
    finally:
        desk.reloader.service.close()
