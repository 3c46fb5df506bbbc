"""`ticketflow validate [--online]`: check every config file, and optionally against the tracker."""

from __future__ import annotations

import argparse
import sys
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
        "every problem as FILE:LINE:COL (and each warning, such as the older flat layout of "
        "mappings.yaml, which is still read).", settings=TRACKER_SETTINGS)
    parser.add_argument(
        "--online", action="store_true",
        help="also check project, issue type, statuses, fields and users against the tracker")


def validate(args: argparse.Namespace, settings: Settings) -> int:
    """Check every config file; problems are raised as ConfigError (exit 2)."""
    from connector.app import online_check
    from connector.config.loader import load_config

    config = load_config(args.config_dir)  # files first: no network call for a bad file
    for warning in config.warnings:  # what still works but is to change: never an error
        print(warning, file=sys.stderr)
    # With --online nothing is said to be ok until the tracker agrees too.
    online = online_check(config, settings) if args.online else None
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
