"""The `ticketflow` command line: parses options, calls the library, maps errors to exit codes.

Exit codes: 0 success, 1 runtime failure, 2 bad configuration or usage, 3 another ticketflow
does this work (another replica holds the state's lease, another ticketflow holds the
tracker's owner claim, or the state file was deleted or replaced under a running service:
restarting it as it is would not help).
"""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connector import __version__
from connector.commands import COMMANDS
from connector.errors import (
    ConfigError,
    LeaseLostError,
    OwnershipError,
    TicketflowError,
    UsageError,
)

if TYPE_CHECKING:
    from connector.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG, EXIT_NOT_OURS = 0, 1, 2, 3


def _parse_now(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time; expected e.g. 2026-12-01T09:00:00-06:00"
        ) from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; expected e.g. 2026-12-01T09:00:00-06:00 or ...Z"
        )
    return when


def _global_options(*, for_subcommand: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command (`ticketflow -v validate` = `validate -v`).

    Each command's parser carries a copy so they may follow the command name; the copy is left
    out of the command's `--help` (they are listed once, in `ticketflow --help`)."""
    parser = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if for_subcommand else None

    def shown(text: str) -> str:
        return argparse.SUPPRESS if for_subcommand else text

    parser.add_argument(
        "--config-dir", type=Path, default=default, metavar="DIR",
        help=shown("folder with rules.yaml, mappings.yaml and rules/ "
                   "(default: $TICKETFLOW_CONFIG_DIR or .)"))
    parser.add_argument(
        "--now", type=_parse_now, default=default, metavar="ISO-8601",
        help=shown("evaluate as if it were this time (simulation, tests)"))
    parser.add_argument(
        "--log-format", choices=["text", "json"], default=default if for_subcommand else "text",
        help=shown("log line format"))
    parser.add_argument(
        "-v", "--verbose", action="count", default=default if for_subcommand else 0,
        help=shown("more log output (-v info, -vv debug)"))
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default if for_subcommand else False,
        help=shown("warnings and errors only (`run` logs at info otherwise)"))
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full parser: every command module of connector.commands registers its own."""
    parser = argparse.ArgumentParser(
        prog="ticketflow",
        parents=[_global_options(for_subcommand=False)],
        description="Run a support team's ticket workflow inside the tracker it already uses.",
        epilog="Global options may also follow the command. "
        "Exit codes: 0 success, 1 runtime failure, 2 bad configuration or usage, 3 another "
        "ticketflow does this work (another replica holds the state's lease, another "
        "ticketflow owns the tracker, or the state file was deleted or replaced).",
    )
    parser.add_argument("--version", action="version", version=f"ticketflow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = [_global_options(for_subcommand=True)]
    for name in COMMANDS:
        importlib.import_module(f"connector.commands.{name}").register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (never raises for expected failures)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors and 0 on --help
        return int(exit_.code or 0)
    # Imported here, not at the top: `--version` and `--help` need none of it.
    from connector.logs import Redactor, configure
    from connector.settings import secret_values, unknown_variables

    redactor = Redactor(())
    try:
        settings = _settings_for(args)
        redactor = Redactor(secret_values(settings))
        # A command may log more by default (`run`, a service, says what it does); -q wins.
        verbosity = 0 if args.quiet else max(args.verbose, getattr(args, "default_verbosity", 0))
        configure(log_format=args.log_format, verbosity=verbosity, secrets=redactor.secrets)
        if args.reads_settings:
            for warning in unknown_variables():
                log.warning("%s", warning)
            if args.config_dir is None:  # only an explicit --config-dir reaches the others
                args.config_dir = settings.config_dir
        handler: Callable[[argparse.Namespace, object], int] = args.handler
        return handler(args, settings)
    except ConfigError as error:
        for problem in error.problems:
            print(redactor.scrub(problem), file=sys.stderr)
        noun = "problem" if len(error.problems) == 1 else "problems"
        print(f"ticketflow: {len(error.problems)} configuration {noun}", file=sys.stderr)
        return EXIT_CONFIG
    except UsageError as error:
        print(redactor.scrub(f"ticketflow: {error}"), file=sys.stderr)
        return EXIT_CONFIG
    except (OwnershipError, LeaseLostError) as error:  # another ticketflow does the work
        print(redactor.scrub(f"ticketflow: {error}"), file=sys.stderr)
        return EXIT_NOT_OURS
    except TicketflowError as error:
        print(redactor.scrub(f"ticketflow: {error}"), file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:  # `ticketflow explain KEY | head -1`: the reader has had enough
        _silence_stdout()
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except Exception as error:  # a bug: say so plainly; the traceback only on request
        log.debug("unexpected error", exc_info=True)
        print(
            redactor.scrub(
                f"ticketflow: internal error: {type(error).__name__}: {error} "
                "(run with -vv for the traceback)"
            ),
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _settings_for(args: argparse.Namespace) -> Settings:
    """The environment's settings, or for a command that reads none (the demo, init) the
    defaults alone: the container image's TICKETFLOW_CONFIG_DIR=/config must not reach them."""
    from connector.settings import embedded_settings, load_settings

    if args.reads_settings:
        return load_settings()
    return embedded_settings()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (a test's capture): nothing will be flushed to a pipe
