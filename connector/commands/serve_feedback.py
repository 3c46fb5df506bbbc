"""`ticketflow serve-feedback`: the feedback form alone, for when cron runs the cycles."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import TRACKER_SETTINGS, add_command, serve_http

if TYPE_CHECKING:
    from connector.settings import Settings

SERVE_SETTINGS = (*TRACKER_SETTINGS, "state_db", "feedback_secret", "http_host", "http_port",
                  "delivery_interval")


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    add_command(
        sub, common, "serve-feedback", handler=serve_feedback,
        summary="serve the feedback form beside cron",
        description="Serve /feedback/ (and /healthz) until SIGTERM, for deployments whose "
        "cycles run from cron (`once`), which serves nothing; answers go to the state and "
        "back to the tracker, and those it could not take are written back every "
        "TICKETFLOW_DELIVERY_INTERVAL seconds. `run` serves the form itself.",
        settings=SERVE_SETTINGS)


def serve_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the form until SIGTERM or SIGINT; exit 0 after a clean stop."""
    import logging
    import threading

    from connector.app import (
        connect_tracker,
        feedback_endpoint,
        open_state,
        require_tracker_settings,
    )
    from connector.clock import SystemClock
    from connector.config.loader import load_config
    from connector.errors import TicketflowError
    from connector.sync.loop import stop_on_signals
    from connector.web.feedback import write_back_pending
    from connector.web.server import service_app

    log = logging.getLogger(__name__)
    config = load_config(args.config_dir)
    require_tracker_settings(config, settings)
    stop = threading.Event()
    app = service_app(health=lambda: (True, "serving the feedback form"),
                      feedback=feedback_endpoint(lambda: config, settings, SystemClock()))
    with stop_on_signals(stop):
        http = serve_http(app, settings)
        try:
            while not stop.wait(settings.delivery_interval):
                store = open_state(settings)
                try:
                    write_back_pending(store, connect_tracker(config, settings, store=store),
                                       config)
                except TicketflowError as error:  # the tracker still away: the answers wait
                    log.warning("feedback write-back: %s", error)
                finally:
                    store.close()
        finally:
            http.close()
    return 0
