"""`ticketflow run`: the service, with /healthz, /metrics and the feedback form."""

from __future__ import annotations

import argparse
import logging
import threading
from datetime import timedelta

from connector.app import build, require_tracker_settings
from connector.clock import SystemClock
from connector.config.loader import load_config
from connector.metrics import REGISTRY, StateCollector
from connector.settings import Settings
from connector.sync.loop import Health, Intervals, ServiceLoop, stop_on_signals
from connector.tracker.retry import Retrier
from connector.web.server import HttpService, service_app

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
            http = HttpService(service_app(health=health.status, feedback=None),
                               host=settings.http_host, port=settings.http_port).start()
            try:
                intervals = Intervals(mail=settings.mail_interval, poll=settings.poll_interval,
                                      delivery=settings.delivery_interval)
                return ServiceLoop(service.cycle, intervals=intervals, health=health,
                                   stop=stop).run()
            finally:
                http.close()
    finally:
        if registered:
            REGISTRY.unregister(collector)
        service.close()


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)
