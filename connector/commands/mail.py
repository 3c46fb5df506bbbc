"""`ticketflow mail`: list what intake set aside or left waiting; release quarantined mail."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import add_command, clock_for
from connector.errors import UsageError

if TYPE_CHECKING:
    from connector.settings import Settings
    from connector.state.intake import MailRecord
    from connector.state.store import SqlStateStore

MAIL_SETTINGS = ("state_db", "imap_url", "imap_password", "imap_oauth2_token",
                 "imap_processed_folder", "imap_quarantine_folder", "maildir", "config_dir")


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "mail", handler=_checked, summary="list or release quarantined mail",
        description="List mail intake set aside (with its reason) or left waiting (with its "
        "last error); `release ID` or `release --all` puts quarantined mail back in the "
        "inbox for the next pass to handle anew.", settings=MAIL_SETTINGS)
    parser.add_argument("action", nargs="?", choices=["list", "release"], default="list")
    parser.add_argument("id", nargs="?", metavar="ID",
                        help="the mail's number from `ticketflow mail list`, or its Message-ID")
    parser.add_argument("--all", action="store_true", help="release every quarantined mail")


def _line(record: MailRecord) -> str:
    if record.outcome == "quarantine":
        state, when, why = "quarantined", record.done_at, record.reason
    else:
        state = "released" if record.released_at is not None else "waiting"
        when, why = record.released_at or record.received_at, record.last_error
        if record.attempts or record.waits:
            why = f"{record.attempts} refused, {record.waits} waits; {why}"
    stamp = when.isoformat(timespec="minutes") if when else "-"
    line = (f"{record.number:>6}  {state:<11} {stamp:<25} {record.sender or '-':<30} "
            f"{record.message_id or record.mail_key}  {why}")
    # Ids and reasons come from strangers' mail: no control character reaches the terminal.
    return "".join(ch if ch.isprintable() else "?" for ch in line)


def mail(args: argparse.Namespace, settings: Settings) -> int:
    """List (the default) or release. Works beside a running service: a release forgets the
    outcome before it moves the mail back, so a pass reading it meanwhile handles it anew."""
    from connector.app import open_state
    from connector.state.intake import IntakeStore

    store = open_state(settings)
    try:
        intake = IntakeStore(store.db)
        if args.action == "release":
            return _release(args, settings, store)
        quarantined, waiting = intake.quarantined(limit=1000), intake.waiting(limit=1000)
        for record in [*quarantined, *waiting]:
            print(_line(record))
        print(f"{len(quarantined)} quarantined, {len(waiting)} waiting")
    finally:
        store.close()
    return 0


def _release(args: argparse.Namespace, settings: Settings, store: SqlStateStore) -> int:
    from connector.app import mailbox_opener
    from connector.config.loader import load_config
    from connector.mail.intake.release import releasable, release
    from connector.state.intake import IntakeStore

    intake = IntakeStore(store.db)
    records = releasable(intake, None if args.all else args.id)
    if not records:
        print("no quarantined mail to release")
        return 0
    opener = mailbox_opener(load_config(args.config_dir), settings, store)
    if opener is None:
        raise UsageError("no mailbox is set; set TICKETFLOW_IMAP_URL or TICKETFLOW_MAILDIR "
                         "as the service has it")
    mailbox = opener()
    try:
        for done in release(intake, mailbox, records, at=clock_for(args).now()):
            print(done)
    finally:
        mailbox.close()
    return 0


def _checked(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "release" and (args.id is None) == (not args.all):
        raise UsageError("`ticketflow mail release` needs the mail's number (ID) or --all")
    if args.action == "list" and (args.id is not None or args.all):
        raise UsageError("`ticketflow mail list` takes no ID and no --all")
    return mail(args, settings)
