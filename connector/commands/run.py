"""`ticketflow run`: the service, cycling on a schedule, with /healthz, /metrics and /feedback."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import TRACKER_SETTINGS, add_command

if TYPE_CHECKING:
    from connector.settings import Settings

RUN_SETTINGS = (*TRACKER_SETTINGS, "state_db", "imap_url", "maildir", "smtp_url", "outbox_dir",
                "mail_from", "public_url", "feedback_secret", "http_host", "http_port",
                "mail_interval", "poll_interval", "delivery_interval")


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    add_command(
        sub, common, "run", handler=run, summary="the service: cycles until stopped",
        description="Read mail, poll Jira, apply the rules and deliver messages on a schedule "
        "until SIGTERM; serves /healthz and /metrics.", settings=RUN_SETTINGS)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Cycle on a schedule until SIGTERM or SIGINT; exit 0 after a clean stop."""
    from datetime import timedelta

    from connector.app import build, feedback_endpoint, require_tracker_settings
    from connector.clock import SystemClock
    from connector.config.loader import load_config
    from connector.http.retry import Retrier
    from connector.metrics import REGISTRY, StateCollector
    from connector.sync.loop import Health, Intervals, ServiceLoop, stop_on_signals
    from connector.web.feedback import write_back_pending
    from connector.web.server import HttpService, service_app

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
            feedback = feedback_endpoint(config, settings, clock)
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


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)
