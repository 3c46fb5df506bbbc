"""`ticketflow run`: the service, cycling on a schedule, with /healthz, /metrics, /feedback and
/report.

It logs at INFO unless told otherwise (`-q`: warnings and errors only): a start-up summary,
one line per cycle, and each effect.
"""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import (
    TRACKER_SETTINGS,
    add_command,
    add_new_state_option,
    serve_http,
)

if TYPE_CHECKING:
    from connector.clock import Clock
    from connector.config.loader import Config
    from connector.settings import Settings
    from connector.sync.wakeup import PollWakeup
    from connector.web.hooks import HookEndpoint

log = logging.getLogger("connector.run")

RUN_SETTINGS = (*TRACKER_SETTINGS, "state_db", "imap_url", "maildir", "smtp_url", "outbox_dir",
                "mail_from", "public_url", "feedback_secret", "http_host", "http_port",
                "mail_interval", "poll_interval", "delivery_interval", "webhook_secret")


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "run", handler=run, summary="the service: cycles until stopped",
        description="Read mail, poll Jira, apply the rules and deliver messages on a schedule "
        "until SIGTERM; serves /healthz, /metrics and /report. Logs at INFO (-q: warnings "
        "only).",
        settings=RUN_SETTINGS)
    parser.set_defaults(default_verbosity=1)  # a service says what it does
    add_new_state_option(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Cycle on a schedule until SIGTERM or SIGINT; exit 0 after a clean stop."""
    from datetime import timedelta

    from connector.app import build, feedback_endpoint, require_tracker_settings
    from connector.clock import SystemClock
    from connector.config.loader import load_config
    from connector.http.retry import Retrier
    from connector.metrics import REGISTRY, StateCollector
    from connector.preflight import require_public_url, verify_config
    from connector.report.compose import tracker_links
    from connector.sync.loop import Health, Intervals, ServiceLoop, stop_on_signals
    from connector.web.feedback import write_back_pending
    from connector.web.report import ReportEndpoint
    from connector.web.server import service_app

    config = load_config(args.config_dir)  # a broken config never reaches the network
    require_tracker_settings(settings)
    require_public_url(config, settings)
    stop = threading.Event()
    clock = SystemClock()
    # Waits between retries end early on SIGTERM, so stopping takes seconds, not a backoff.
    retrier = Retrier(sleep=lambda seconds: _wait(stop, seconds))
    service = build(config, settings, clock=clock, retrier=retrier, stop=stop,
                    new_state=args.new_state)
    health = Health(clock, stale_after=timedelta(seconds=max(3 * settings.poll_interval, 300)))
    collector = StateCollector(settings.state_db, now=clock.now)
    registered = False
    try:
        with service.store.lock(), stop_on_signals(stop):
            verify_config(service)  # a mapping Jira cannot honour stops here, before any act
            REGISTRY.register(collector)
            registered = True
            feedback = feedback_endpoint(config, settings, clock)
            wakeup, hooks = _webhooks(settings, clock)
            report = ReportEndpoint(config=config, state_db=settings.state_db, clock=clock,
                                    link=tracker_links(settings.jira_url))
            http = serve_http(service_app(health=health.status, feedback=feedback,
                                          report=report, hooks=hooks), settings)
            try:
                _summary(config, settings, flavor=service.tracker.flavor, served=http.url)
                intervals = Intervals(mail=settings.mail_interval, poll=settings.poll_interval,
                                      delivery=settings.delivery_interval)
                loop = ServiceLoop(service.cycle, intervals=intervals, health=health, stop=stop,
                                   wakeup=wakeup)
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


def _webhooks(settings: Settings, clock: Clock) -> tuple[PollWakeup | None,
                                                          HookEndpoint | None]:
    """The wake-up a verified webhook pulls, and /hooks/; neither without a secret."""
    from connector.sync.wakeup import PollWakeup
    from connector.web.hooks import HookEndpoint

    if settings.webhook_secret is None:
        return None, None
    wakeup = PollWakeup(clock)
    return wakeup, HookEndpoint(secret=settings.webhook_secret.get_secret_value(),
                                wake=wakeup.request, clock=clock)


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)


def _summary(config: Config, settings: Settings, *, flavor: str, served: str) -> None:
    """What a new operator needs to see first: what runs, against what, where to look."""
    from connector import __version__
    from connector.sync.wakeup import FLOOR

    if settings.imap_url:
        mail_in = f"IMAP {settings.imap_url}"
    else:
        mail_in = f"Maildir {settings.maildir}" if settings.maildir else "none"
    mail_out = (f"SMTP {settings.smtp_url}" if settings.smtp_url
                else f"outbox folder {settings.outbox_dir}")
    log.info("ticketflow %s started: tracker %s (%s), project %s; state %s", __version__,
             settings.jira_url, flavor, config.mappings.project, settings.state_db)
    log.info("serving /healthz, /metrics, /feedback/ and /report on %s", served)
    if settings.webhook_secret:
        log.info("webhooks: /hooks/jira and /hooks/zendesk, signed with "
                 "TICKETFLOW_WEBHOOK_SECRET, start a poll (at most one every %gs)",
                 FLOOR.total_seconds())
    else:
        log.info("webhooks: none accepted (TICKETFLOW_WEBHOOK_SECRET is unset); polls every "
                 "%ds only", settings.poll_interval)
    log.info("mail in: %s; mail out: %s%s; every %ds mail, %ds poll, %ds delivery", mail_in,
             mail_out, "; chat webhook set" if settings.webhook_url else "",
             settings.mail_interval, settings.poll_interval, settings.delivery_interval)
