"""`ticketflow install-scheme`: create or verify the workflow's statuses and scheme in the
tracker."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.base import TRACKER_SETTINGS, add_command

if TYPE_CHECKING:
    from connector.settings import Settings


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "install-scheme", handler=install_scheme,
        summary="create or verify the workflow in the tracker",
        description="Create the workflow's statuses, workflow and workflow scheme in the "
        "tracker (idempotent); on Jira Data Center, verify them and write the admin's "
        "checklist.",
        settings=TRACKER_SETTINGS)
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.add_argument(
        "--output", type=Path, default=None, metavar="FILE",
        help="Data Center: where to write the checklist (default: ticketflow-scheme-KEY.md)")


def install_scheme(args: argparse.Namespace, settings: Settings) -> int:
    """Create or verify the workflow in the tracker (on Jira Data Center: write the checklist)."""
    from connector.app import installer
    from connector.config.loader import load_config

    config = load_config(args.config_dir)  # a bad config stops before any network call
    return installer(config, settings).install_scheme(config, dry_run=args.dry_run,
                                                      output=args.output)
