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
        "checklist. With TICKETFLOW_PUBLIC_URL (and on Jira TICKETFLOW_WEBHOOK_SECRET), also "
        "register the webhook that wakes `run` (Jira Data Center, and Zendesk, which is then "
        "checked against TICKETFLOW_WEBHOOK_SECRET; on Jira Cloud, print the steps by hand).",
        settings=(*TRACKER_SETTINGS, "public_url", "webhook_secret"))
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.add_argument(
        "--output", type=Path, default=None, metavar="FILE",
        help="Data Center: where to write the checklist (default: ticketflow-scheme-KEY.md)")


def install_scheme(args: argparse.Namespace, settings: Settings) -> int:
    """Create or verify the workflow in the tracker (on Jira Data Center: write the checklist)."""
    from connector.app import installer, register_webhook
    from connector.config.loader import load_config

    config = load_config(args.config_dir)  # a bad config stops before any network call
    tracker = installer(config, settings)
    code = tracker.install_scheme(config, dry_run=args.dry_run, output=args.output)
    register_webhook(config, settings, tracker, dry_run=args.dry_run)
    return code
