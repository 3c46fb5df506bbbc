"""What every command module shares: how a parser is added, and the `--now` clock."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.clock import Clock
    from connector.settings import Settings
    from connector.web.server import HttpService, WsgiApp

Handler = Callable[[argparse.Namespace, "Settings"], int]


def add_command(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
                common: Sequence[argparse.ArgumentParser], name: str, *, handler: Handler,
                summary: str, description: str,
                settings: Sequence[str] = ()) -> argparse.ArgumentParser:
    """Add one command: its one-line summary for `ticketflow --help`, its description, and the
    TICKETFLOW_* settings it reads, named in its own `--help`. A command that names none reads
    no environment at all (`demo`, `init`, ...): a broken setting cannot stop it."""
    epilog = None
    if settings:
        epilog = "Settings it reads: " + ", ".join(f"TICKETFLOW_{s.upper()}" for s in settings)
    parser: argparse.ArgumentParser = sub.add_parser(
        name, parents=list(common), help=summary, description=description, epilog=epilog)
    parser.set_defaults(handler=handler, reads_settings=bool(settings))
    return parser


def add_new_state_option(parser: argparse.ArgumentParser) -> None:
    """`--new-state`, on the commands that may start a state (run, once): the others only read
    one, and an empty state would tell them nothing."""
    parser.add_argument(
        "--new-state", action="store_true",
        help="accept an empty (0-byte) TICKETFLOW_STATE_DB file and start a new state in it "
        "(otherwise refused: a truncated state would forget what was already done)")


def add_take_over_option(parser: argparse.ArgumentParser) -> None:
    """`--take-over`, on the commands that act (run, once)."""
    parser.add_argument(
        "--take-over", action="store_true",
        help="act although another ticketflow holds the tracker's owner claim, once its "
        "heartbeat is an hour old (it is gone: its host or its state was lost)")


def clock_for(args: argparse.Namespace) -> Clock:
    """`--now` fixes the time; otherwise the wall clock."""
    from connector.clock import SettableClock, SystemClock

    return SettableClock(args.now) if args.now is not None else SystemClock()


def serve_http(app: WsgiApp, settings: Settings) -> HttpService:
    """Start the web side (/healthz, /metrics, /feedback/); a port that cannot be had is named
    with its settings."""
    from connector.errors import FatalError
    from connector.web.server import HttpService

    try:
        return HttpService(app, host=settings.http_host, port=settings.http_port).start()
    except OSError as error:
        raise FatalError(
            f"cannot serve /healthz, /metrics and /feedback on {settings.http_host}:"
            f"{settings.http_port} (TICKETFLOW_HTTP_HOST, TICKETFLOW_HTTP_PORT): "
            f"{error.strerror or error}; expected a free port: stop what holds it, or set "
            "TICKETFLOW_HTTP_PORT") from None


# The address of each tracker mappings.yaml's `tracker:` may name.
TRACKER_URLS = ("jira_url", "zendesk_url")
# Settings most tracker-facing commands read, named once: Jira's, Zendesk's (which are read
# depends on mappings.yaml's `tracker:`), the config folder.
TRACKER_SETTINGS = ("jira_url", "jira_email", "jira_token", "jira_flavor", "zendesk_url",
                    "zendesk_email", "zendesk_token", "zendesk_oauth_token", "config_dir")
