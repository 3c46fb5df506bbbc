"""`ticketflow validate [--online]`: check every config file, and optionally against the tracker."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import TRACKER_SETTINGS, add_command

if TYPE_CHECKING:
    from connector.settings import Settings


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "validate", handler=validate, summary="check every config file",
        description="Check rules.yaml, its includes, mappings.yaml and the templates; print "
        "every problem as FILE:LINE:COL.", settings=TRACKER_SETTINGS)
    parser.add_argument(
        "--online", action="store_true",
        help="also check project, issue type, statuses, fields and users against Jira")


def validate(args: argparse.Namespace, settings: Settings) -> int:
    """Check every config file; problems are raised as ConfigError (exit 2)."""
    from connector.app import connect_tracker
    from connector.config.loader import load_config
    from connector.tracker.jira import setup

    config = load_config(args.config_dir)  # files first: no network call for a bad file
    # With --online nothing is said to be ok until Jira agrees too.
    online = setup.validate_online(config, connect_tracker(config, settings)) \
        if args.online else None
    shown = ", ".join(
        str(p.relative_to(config.config_dir)) if p.is_relative_to(config.config_dir) else str(p)
        for p in config.files
    )
    rules = config.rules
    print(
        f"ok: {shown}; {len(rules.rules)} rules, {len(rules.workflow.statuses)} statuses, "
        f"{len(rules.tiers)} tiers, {len(rules.categories)} categories, "
        f"{len(config.templates)} templates"
    )
    if online is not None:
        print(online)
    return 0
