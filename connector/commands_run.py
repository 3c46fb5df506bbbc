"""`ticketflow run`: the service, with /healthz, /metrics and the feedback form."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from connector.app import build, require_tracker_settings
from connector.clock import Clock, SystemClock
from connector.config.loader import Config, load_config
from connector.http.retry import Retrier
from connector.metrics import REGISTRY, StateCollector
from connector.settings import Settings
from connector.state.sqlite import SqliteStateStore
from connector.sync.loop import Health, Intervals, ServiceLoop, stop_on_signals
from connector.tracker.base import Tracker
from connector.tracker.jira.client import connect
from connector.web.feedback import make_feedback_app, write_back_pending
from connector.web.server import HttpService, StartResponse, service_app

log = logging.getLogger(__name__)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Cycle on a schedule until SIGTERM or SIGINT; exit 0 after a clean stop."""
    config = load_config(args.config_dir)  # a broken config never reaches the network
    require_tracker_settings(settings)
    stop = threading.Event()
    clock = SystemClock()
    # Waits between retries end early on SIGTERM, so stopping takes seconds, not a backoff.
    retrier = Retrier(sleep=lambda seconds: _wait(stop, seconds))
    service = build(config, settings, clock=clock, retrier=retrier)
    health = Health(clock, stale_after=timedelta(seconds=max(3 * settings.poll_interval, 300)))
    collector = StateCollector(settings.state_db, now=clock.now)
    registered = False
    try:
        with service.store.lock(), stop_on_signals(stop):
            REGISTRY.register(collector)
            registered = True
            feedback = FeedbackEndpoint(config, settings, clock)
            http = HttpService(service_app(health=health.status, feedback=feedback),
                               host=settings.http_host, port=settings.http_port).start()
            try:
                intervals = Intervals(mail=settings.mail_interval, poll=settings.poll_interval,
                                      delivery=settings.delivery_interval)
                loop = ServiceLoop(service.cycle, intervals=intervals, health=health, stop=stop)
                # Answers Jira did not take at once (it was down) are written back later.
                loop.add_job("feedback", settings.delivery_interval, lambda: write_back_pending(
                    service.store, service.tracker, config))
                return loop.run()
            finally:
                http.close()
    finally:
        if registered:
            REGISTRY.unregister(collector)
        service.close()


class FeedbackEndpoint:
    """The feedback form behind `/feedback/`, safe for the server's request threads.

    SQLite connections belong to the thread that opened them, so each request opens the state
    file itself; requests take turns (a form, not a hot path) on one Jira client of their own.
    """

    def __init__(self, config: Config, settings: Settings, clock: Clock) -> None:
        self.config, self.settings, self.clock = config, settings, clock
        self.lock = threading.Lock()
        self.tracker: Tracker | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        with self.lock:
            if self.tracker is None:
                self.tracker = connect(self.settings)
            store = SqliteStateStore(self.settings.state_db)
            try:
                app = make_feedback_app(store=store, tracker=self.tracker, config=self.config,
                                        settings=self.settings, clock=self.clock)
                return list(app(environ, start_response))
            finally:
                store.close()


def demo(args: argparse.Namespace, settings: Settings) -> int:
    """The demo runs on embedded defaults: it ignores TICKETFLOW_* settings on purpose."""
    del settings
    from connector.demo.runner import run_demo  # noqa: PLC0415  (the demo pulls in the sandbox)

    config_dir = args.config_dir if args.config_dir not in (None, Path()) else None
    return run_demo(output=args.output, out=sys.stdout, config_dir=config_dir)


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)
