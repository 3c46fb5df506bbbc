"""`ticketflow run`: the service, cycling on a schedule, with /healthz, /metrics, /feedback and
/report.

It logs at INFO unless told otherwise (`-q`: warnings and errors only): a start-up summary,
one line per cycle, and each effect.
"""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.base import (
    TRACKER_SETTINGS,
    add_command,
    add_new_state_option,
    add_take_over_option,
    serve_http,
)

if TYPE_CHECKING:
    from connector.app import Service
    from connector.clock import Clock
    from connector.config.loader import Config
    from connector.http.retry import Retrier
    from connector.settings import Settings
    from connector.state.fence import Fence
    from connector.sync.loop import Health
    from connector.sync.reload import ConfigReloader
    from connector.sync.wakeup import PollWakeup
    from connector.web.hooks import HookEndpoint
    from connector.web.server import HttpService

log = logging.getLogger("connector.run")

RUN_SETTINGS = (*TRACKER_SETTINGS, "state_db", "imap_url", "maildir", "smtp_url", "outbox_dir",
                "mail_from", "public_url", "feedback_secret", "http_host", "http_port",
                "mail_interval", "poll_interval", "delivery_interval", "webhook_secret",
                "lease_seconds")


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "run", handler=run, summary="the service: cycles until stopped",
        description="Read mail, poll the tracker, apply the rules and deliver messages on a "
        "schedule until SIGTERM; serves /healthz, /metrics and /report. Logs at INFO (-q: "
        "warnings only).",
        settings=RUN_SETTINGS)
    parser.set_defaults(default_verbosity=1)  # a service says what it does
    add_new_state_option(parser)
    add_take_over_option(parser)
    parser.add_argument(
        "--clock-file", type=Path, metavar="FILE",
        help="simulation and tests: read the time from FILE (an ISO-8601 instant with a UTC "
        "offset) at every look, so replicas follow one clock a test moves; the lease keeps "
        "the wall clock")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Cycle on a schedule until SIGTERM or SIGINT; exit 0 after a clean stop."""
    from datetime import timedelta

    from connector.app import (
        build,
        describe_tracker,
        replica_leader,
        require_tracker_settings,
        state_reader,
    )
    from connector.clock import SystemClock
    from connector.config.loader import load_config
    from connector.http.retry import Retrier
    from connector.metrics import REGISTRY, StateCollector
    from connector.preflight import ready_to_act, require_public_url
    from connector.state.fence import Fence
    from connector.sync.loop import (
        Health,
        Intervals,
        ServiceLoop,
        reload_on_hangup,
        stop_on_signals,
    )
    from connector.web.feedback import write_back_pending

    config = load_config(args.config_dir)  # a broken config never reaches the network
    require_tracker_settings(config, settings)
    require_public_url(config, settings)
    stop = threading.Event()
    clock = _clock(args.clock_file)
    # Waits between retries end early on SIGTERM, so stopping takes seconds, not a backoff.
    retrier = Retrier(sleep=lambda seconds: _wait(stop, seconds))
    # Replicas share the state: the one holding the lease acts, the others stand by. The
    # fence makes every write of this process check that it still holds it.
    fence = Fence()
    service = build(config, settings, clock=clock, retrier=retrier, stop=stop,
                    new_state=args.new_state, fence=fence)
    leader = replica_leader(settings, fence, clock=SystemClock())
    health = Health(clock, stale_after=timedelta(seconds=max(3 * settings.poll_interval, 300)),
                    leader=leader)
    collector = StateCollector(state_reader(settings), now=clock.now)
    registered = False
    reloader = _reloader(service, settings, clock=clock, retrier=retrier, stop=stop,
                         fence=fence, health=health)
    hangup = threading.Event()
    try:
        with stop_on_signals(stop), leader.renewing(stop), reload_on_hangup(hangup):
            ready_to_act(service, take_over=args.take_over)  # stops here, before any act
            REGISTRY.register(collector)
            registered = True
            http, wakeup = _serve(settings, clock=clock, health=health, tracker=service.tracker,
                                  running=lambda: reloader.service.config)
            try:
                _summary(config, settings, tracker=describe_tracker(service), served=http.url,
                         wakeup=wakeup)
                intervals = Intervals(mail=settings.mail_interval, poll=settings.poll_interval,
                                      delivery=settings.delivery_interval)
                # The store of the service running now: a reload replaces it.
                tidy = lambda: reloader.service.store.tidy()  # noqa: E731, PLW0108
                loop = ServiceLoop(service.cycle, intervals=intervals, health=health, stop=stop,
                                   wakeup=wakeup, leader=leader, reloader=reloader,
                                   hangup=hangup, tidy=tidy)
                # Answers the tracker did not take at once (it was down) are written back later.
                loop.add_job("feedback", settings.delivery_interval, lambda: write_back_pending(
                    reloader.service.store, reloader.service.tracker, reloader.service.config))
                return loop.run()
            finally:
                leader.release()  # a clean stop hands over at once
                http.close()
    finally:
        if registered:
            REGISTRY.unregister(collector)
        leader.lease.close()
        reloader.service.close()  # the one running now: a reload closed the ones before


def _serve(settings: Settings, *, clock: Clock, health: Health, tracker: object,
           running: Callable[[], Config]) -> tuple[HttpService, PollWakeup | None]:
    """/healthz, /metrics, /feedback/, /report and /hooks/ on the service's port, and the
    wake-up a verified webhook pulls (timed for `tracker`'s change feed). The feedback form
    and the report answer with the configuration `running` now (a reload switches it)."""
    from connector.app import feedback_endpoint, ticket_links
    from connector.web.report import ReportEndpoint
    from connector.web.server import service_app

    wakeup, hooks = _webhooks(settings, clock, tracker)
    report = ReportEndpoint(running=running, state_db=settings.state_db, clock=clock,
                            links=lambda current: ticket_links(current, settings))
    http = serve_http(service_app(health=health.status,
                                  feedback=feedback_endpoint(running, settings, clock),
                                  report=report, hooks=hooks,
                                  health_details=health.details), settings)
    return http, wakeup


def _reloader(service: Service, settings: Settings, *, clock: Clock, retrier: Retrier,
              stop: threading.Event, fence: Fence, health: Health) -> ConfigReloader[Service]:
    """What takes configuration edits between cycles: the new service is wired as the
    first (the same fence: a reload never writes past a lost lease)."""
    from connector.app import build
    from connector.preflight import require_public_url, verify_config
    from connector.sync.reload import ConfigReloader

    def rebuild(new: Config) -> Service:
        require_public_url(new, settings)  # a setting the edited rules now need
        return build(new, settings, clock=clock, retrier=retrier, stop=stop, fence=fence)

    return ConfigReloader(service, rebuild=rebuild, verify=verify_config, status=health)


def _clock(clock_file: Path | None) -> Clock:
    from connector.clock import FileClock, SystemClock
    from connector.errors import UsageError

    if clock_file is None:
        return SystemClock()
    try:
        return FileClock(clock_file)
    except (OSError, ValueError) as error:
        raise UsageError(f"--clock-file {clock_file}: {error}; expected a file holding an "
                         "ISO-8601 instant with a UTC offset") from None


def _webhooks(settings: Settings, clock: Clock,
              tracker: object) -> tuple[PollWakeup | None, HookEndpoint | None]:
    """The wake-up a verified webhook pulls, and /hooks/; neither without a secret."""
    from connector.sync.wakeup import for_tracker
    from connector.web.hooks import HookEndpoint

    if settings.webhook_secret is None:
        return None, None
    wakeup = for_tracker(clock, tracker)
    return wakeup, HookEndpoint(secret=settings.webhook_secret.get_secret_value(),
                                wake=wakeup.request, clock=clock)


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)


def _summary(config: Config, settings: Settings, *, tracker: str, served: str,
             wakeup: PollWakeup | None) -> None:
    """What a new operator needs to see first: what runs, against what, where to look."""
    from connector import __version__
    from connector.state.url import describe

    if settings.imap_url:
        mail_in = f"IMAP {settings.imap_url}"
    else:
        mail_in = f"Maildir {settings.maildir}" if settings.maildir else "none"
    mail_out = (f"SMTP {settings.smtp_url}" if settings.smtp_url
                else f"outbox folder {settings.outbox_dir}")
    log.info("ticketflow %s started: tracker %s, project %s; state %s", __version__,
             tracker, config.mappings.project, describe(settings.state_db))
    for warning in config.warnings:
        log.warning("%s", warning)
    log.info("replicas: the one holding the state's lease acts, others stand by; lease %ds, "
             "renewed every %gs", settings.lease_seconds, settings.lease_seconds / 3)
    log.info("serving /healthz, /metrics, /feedback/ and /report on %s", served)
    if wakeup is not None:
        log.info("webhooks: /hooks/jira and /hooks/zendesk, signed with "
                 "TICKETFLOW_WEBHOOK_SECRET, start a poll (at most one every %gs%s)",
                 wakeup.floor.total_seconds(), f"; {wakeup.lag.total_seconds():g}s after the "
                 "webhook, when the tracker's export can show the change" if wakeup.lag else "")
    else:
        log.info("webhooks: none accepted (TICKETFLOW_WEBHOOK_SECRET is unset); polls every "
                 "%ds only", settings.poll_interval)
    log.info("mail in: %s; mail out: %s%s; every %ds mail, %ds poll, %ds delivery", mail_in,
             mail_out, "; chat webhook set" if settings.webhook_url else "",
             settings.mail_interval, settings.poll_interval, settings.delivery_interval)
