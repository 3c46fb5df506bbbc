"""The `ticketflow` command line: parses options, calls the library, maps errors to exit codes.

Exit codes: 0 success, 1 runtime failure, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from connector import __version__, commands, commands_outbox, commands_run, commands_sync
from connector.errors import ConfigError, TicketflowError, UsageError
from connector.logs import Redactor, configure
from connector.settings import load_settings, secret_values

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


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
    """Options accepted before or after the command (`ticketflow -v validate` = `validate -v`)."""
    parser = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if for_subcommand else None
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=default,
        metavar="DIR",
        help="folder with rules.yaml, mappings.yaml and rules/ "
        "(default: $TICKETFLOW_CONFIG_DIR or .)",
    )
    parser.add_argument(
        "--now",
        type=_parse_now,
        default=default,
        metavar="ISO-8601",
        help="evaluate as if it were this time (simulation, tests)",
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=default if for_subcommand else "text",
        help="log line format",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default if for_subcommand else 0,
        help="more log output (-v info, -vv debug)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full parser; each command's help is its documentation."""
    parser = argparse.ArgumentParser(
        prog="ticketflow",
        parents=[_global_options(for_subcommand=False)],
        description="Run a support team's ticket workflow inside Jira.",
        epilog="Exit codes: 0 success, 1 runtime failure, 2 bad configuration or usage.",
    )
    parser.add_argument("--version", action="version", version=f"ticketflow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = [_global_options(for_subcommand=True)]

    validate = sub.add_parser(
        "validate",
        parents=common,
        help="check every config file",
        description="Check rules.yaml, its includes, mappings.yaml and "
        "the templates; print every problem as FILE:LINE:COL.",
    )
    validate.add_argument(
        "--online",
        action="store_true",
        help="also check project, issue type, statuses, fields and users against Jira",
    )
    validate.set_defaults(handler=commands.validate)

    install_scheme = sub.add_parser(
        "install-scheme",
        parents=common,
        help="create or verify the workflow in Jira",
        description="Create the workflow's statuses, workflow and workflow scheme in Jira "
        "Cloud (idempotent), or on Data Center verify them and write the admin's checklist.",
    )
    install_scheme.add_argument(
        "--dry-run", action="store_true", help="print the plan; change nothing"
    )
    install_scheme.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="Data Center: where to write the checklist (default: ticketflow-scheme-KEY.md)",
    )
    install_scheme.set_defaults(handler=commands.install_scheme)

    schema = sub.add_parser(
        "schema",
        parents=common,
        help="write JSON Schemas for editors",
        description="Write the JSON Schemas of rules.yaml and "
        "mappings.yaml (for YAML editors) into a folder.",
    )
    schema.add_argument(
        "--output",
        type=Path,
        default=Path("schema"),
        metavar="DIR",
        help="where to write the .schema.json files (default: ./schema)",
    )
    schema.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the files in DIR are out of date",
    )
    schema.set_defaults(handler=commands.schema)

    demo = sub.add_parser("demo", parents=common, help="the main job on a local Jira, in a minute",
                          description="Start the Jira sandbox in-process, install the workflow, "
                          "feed it the sample mails and run the real service over a simulated "
                          "working week; print a timeline and a summary.")
    demo.add_argument("--output", type=Path, default=Path("ticketflow-demo"), metavar="DIR",
                      help="where the state, Maildir and outbox go (default: ./ticketflow-demo)")
    demo.set_defaults(handler=commands_run.demo)

    run = sub.add_parser("run", parents=common, help="the service: cycles until stopped",
                         description="Read mail, poll Jira, apply the rules and deliver "
                         "messages on a schedule until SIGTERM; serves /healthz and /metrics.")
    run.set_defaults(handler=commands_run.run)

    once = sub.add_parser("once", parents=common, help="run one cycle (for cron)",
                          description="Poll Jira, apply the rules, perform the actions and "
                          "deliver due messages, once.")
    once.add_argument("--dry-run", action="store_true",
                      help="plan and print; change nothing in Jira, the ledger or the outbox")
    once.set_defaults(handler=commands_sync.once)

    explain = sub.add_parser("explain", parents=common, help="why rules fire for a ticket",
                             description="For every rule: does it fire for KEY now, each "
                             "condition's value, the business-time arithmetic, when it is due.")
    explain.add_argument("key", metavar="KEY", help="the ticket, e.g. HELP-12")
    explain.set_defaults(handler=commands_sync.explain_ticket)

    commands_outbox.add_parser(sub, common)

    sandbox = sub.add_parser("sandbox", parents=common, help="run a local tracker sandbox",
                             description="Serve a loopback Jira (cloud or datacenter flavor) or "
                             "Zendesk until interrupted; user sandbox@example.test, token "
                             "sandbox-token.")
    sandbox.add_argument("--tracker", choices=["jira", "zendesk"], default="jira")
    sandbox.add_argument("--flavor", choices=["cloud", "datacenter"], default=None,
                         help="Jira only (default: cloud)")
    sandbox.add_argument("--port", type=int, default=8080, help="TCP port (0: any free port)")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--seed", type=int, default=0, metavar="N",
                         help="create N sample tickets at start")
    sandbox.set_defaults(handler=commands.sandbox)

    init = sub.add_parser(
        "init",
        parents=common,
        help="write the shipped config as a start",
        description="Write the shipped rules.yaml, mappings.yaml and rules/ "
        "into DIR, to edit from there.",
    )
    init.add_argument("directory", nargs="?", type=Path, default=Path(), metavar="DIR")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(handler=commands.init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (never raises for expected failures)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors and 0 on --help
        return int(exit_.code or 0)
    redactor = Redactor(())
    try:
        settings = load_settings()
        redactor = Redactor(secret_values(settings))
        configure(log_format=args.log_format, verbosity=args.verbose, secrets=redactor.secrets)
        if args.config_dir is None:
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
    except TicketflowError as error:
        print(redactor.scrub(f"ticketflow: {error}"), file=sys.stderr)
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
