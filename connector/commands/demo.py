"""`ticketflow demo`: the main job on embedded defaults, against an in-process Jira sandbox."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.base import add_command

if TYPE_CHECKING:
    from connector.settings import Settings


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "demo", handler=demo,
        summary="the main job on a local Jira (or Zendesk), in a minute",
        description="Start the Jira (or Zendesk) sandbox in-process, install the workflow, feed "
        "it the sample mails and run the real service over a simulated working week; print a "
        "timeline and a summary. Needs no settings and ignores TICKETFLOW_* variables.")
    parser.add_argument(
        "--output", type=Path, default=Path("ticketflow-demo"), metavar="DIR",
        help="where the state, Maildir and outbox go (default: ./ticketflow-demo)")
    parser.add_argument(
        "--tracker", choices=("jira", "zendesk"), default="jira",
        help="whose sandbox the week runs on, with the shipped mappings for it (default: jira)")


def demo(args: argparse.Namespace, settings: Settings) -> int:
    """The demo runs on embedded defaults: it ignores TICKETFLOW_* settings on purpose (the
    container image sets TICKETFLOW_CONFIG_DIR=/config); only `--config-dir` changes its
    configuration."""
    del settings
    import sys

    from connector.demo.runner import run_demo

    return run_demo(output=args.output, out=sys.stdout, config_dir=args.config_dir,
                    tracker=args.tracker)
