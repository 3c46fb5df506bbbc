"""`ticketflow once [--dry-run]`: one cycle, for cron; a dry run plans and prints only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
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
                 "mail_from", "public_url", "feedback_secret")


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
    from connector.app import build, require_tracker_settings
    from connector.config.loader import load_config
    from connector.preflight import require_public_url, verify_config
    from connector.tracker.dryrun import RecordingTracker

    config = load_config(args.config_dir)  # a broken config never reaches the network
    require_tracker_settings(config, settings)
    require_public_url(config, settings)
    service = build(config, settings, clock=clock_for(args), dry_run=args.dry_run,
                    new_state=args.new_state,
                    report=performed_printer(dry_run=args.dry_run), progress=progress_bar)
    try:
        with service.store.lock():
            verify_config(service)  # a mapping the tracker cannot honour stops here, before any act
            if service.ownership is not None:  # a second ticketflow stops here
                service.ownership.acquire(take_over=args.take_over)
            report = service.cycle.run()
    finally:
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
