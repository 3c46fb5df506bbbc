"""`ticketflow once [--dry-run]`: one cycle, for cron; a dry run plans and prints only."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING

from connector.commands.base import (
    TRACKER_SETTINGS,
    add_command,
    add_new_state_option,
    add_take_over_option,
    clock_for,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from connector.settings import Settings
    from connector.sync.perform import Performed

ONCE_SETTINGS = (*TRACKER_SETTINGS, "state_db", "imap_url", "maildir", "smtp_url", "outbox_dir",
                 "mail_from", "public_url", "feedback_secret", "lease_seconds")


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "once", handler=once, summary="run one cycle (for cron)",
        description="Read mail, poll the tracker, apply the rules, perform the actions and "
        "deliver due messages, once.", settings=ONCE_SETTINGS)
    parser.add_argument("--dry-run", action="store_true",
                        help="plan and print; change nothing in the tracker, the ledger or the "
                      "outbox")
    add_new_state_option(parser)
    add_take_over_option(parser)


def progress_bar(done: int, total: int | None) -> None:
    """Backfill progress on stderr: redrawn in place on a terminal, every 10% otherwise."""
    shown = f"backfill: {done}/{total} open tickets" if total else f"backfill: {done} tickets"
    if sys.stderr.isatty():
        print(f"\r{shown}", end="" if total and done < total else "\n", file=sys.stderr)
    elif not total or done == total or done * 10 // total != (done - 1) * 10 // total:
        print(shown, file=sys.stderr)


def performed_printer(*, dry_run: bool) -> Callable[[Performed], None]:
    """One line per effect; a dry run says what would have happened, not what did."""
    words = {"done": "would be done", "skipped": "would be skipped", "failed": "would fail"}

    def show(item: Performed) -> None:
        effect = item.effect
        status = words.get(item.status, f"would be {item.status}") if dry_run else item.status
        print(f"{effect.issue_key}  {effect.rule}  {effect.action}  {status}: {item.outcome}")

    return show


def once(args: argparse.Namespace, settings: Settings) -> int:
    """One cycle for cron; with --dry-run, plan and print, change nothing anywhere."""
    from connector.app import build, replica_leader, require_tracker_settings
    from connector.clock import SystemClock
    from connector.config.loader import load_config
    from connector.preflight import ready_to_act, require_public_url
    from connector.state.fence import Fence
    from connector.sync.leader import leading_once
    from connector.tracker.dryrun import RecordingTracker

    config = load_config(args.config_dir)  # a broken config never reaches the network
    require_tracker_settings(config, settings)
    require_public_url(config, settings)
    # One cycle under the state's lease, as a replica of `run` would: refused (exit 3) while a
    # running replica leads. A dry run works on a scratch copy and needs no lease.
    fence = None if args.dry_run else Fence()
    service = build(config, settings, clock=clock_for(args), dry_run=args.dry_run,
                    new_state=args.new_state, fence=fence,
                    report=performed_printer(dry_run=args.dry_run), progress=progress_bar)
    leader = None if fence is None else replica_leader(settings, fence, clock=SystemClock())
    try:
        with nullcontext() if leader is None else leading_once(leader, threading.Event()):
            ready_to_act(service, take_over=args.take_over)  # stops here, before any act
            report = service.cycle.run()
    finally:
        if leader is not None:
            leader.lease.close()
        service.close()
    when = report.started.isoformat(timespec="seconds")
    if args.dry_run:
        said = f"would be {report.summary()}" if report.performed else "nothing would be done"
        print(f"dry run at {when}: {len(report.recorded)} actions planned; {said}")
    else:
        print(f"cycle at {when}: {len(report.recorded)} actions planned; {report.summary()}")
    if isinstance(service.tracker, RecordingTracker):
        for line in service.tracker.writes:
            print(f"  {line}")
        print("dry run: nothing was changed in the tracker, the ledger or the outbox")
    return 0
