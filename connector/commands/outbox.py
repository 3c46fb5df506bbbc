"""`ticketflow outbox`: list pending and failed messages; retry (one or all) or drop by hand."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import add_command
from connector.errors import UsageError

if TYPE_CHECKING:
    from connector.settings import Settings
    from connector.state.base import EffectStatus, OutboxMessage, OutboxStatus
    from connector.state.concerns import DeliveryState, Ledger, Outbox


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "outbox", handler=_checked, summary="list, retry or drop queued messages",
        description="List pending and failed messages (with their last error) and any delivery "
        "pause; `retry ID` queues a failed one again (`retry --all`: every failed one) and ends "
        "a delivery pause, `drop ID` gives one up. Each is safe to run twice; a sent message "
        "is never sent again.", settings=("state_db",))
    parser.add_argument("action", nargs="?", choices=["list", "retry", "drop"], default="list")
    parser.add_argument("id", nargs="?", type=int, metavar="ID", help="the message number")
    parser.add_argument("--all", action="store_true",
                        help="list: sent and dropped ones too; retry: every failed message")


_ALL: tuple[OutboxStatus, ...] = ("pending", "failed", "sent", "dropped")


def _when(message: OutboxMessage) -> str:
    if message.status == "pending" and message.next_attempt_at is not None:
        return f"next {message.next_attempt_at.isoformat(timespec='minutes')}"
    if message.sent_at is not None:
        return f"sent {message.sent_at.isoformat(timespec='minutes')}"
    return "due now" if message.status == "pending" else "-"


def _line(message: OutboxMessage) -> str:
    error = f"  {message.last_error}" if message.last_error else ""
    return (f"{message.id:>6}  {message.status:<8} {message.attempts:>2}x  {_when(message):<24} "
            f"{message.issue_key:<10} {message.template:<20} {message.recipient}{error}")


# Ledger rows that would have queued a message but did not: superseded ones never will (the
# rule changed under them), blocked ones wait for a configuration fix.
_MESSAGE_ACTIONS = (":notify", ":survey")
_HELD: dict[EffectStatus, str] = {"superseded": "never sent (superseded)",
                                  "blocked": "waiting (blocked)"}


def held_lines(store: Ledger) -> tuple[list[str], list[str]]:
    """Lines for the message effects that are superseded or blocked, and their counts."""
    lines, counts = [], []
    for status, words in _HELD.items():
        held = [e for e in store.effects_with_status([status])
                if e.action.endswith(_MESSAGE_ACTIONS)]
        lines += [f"{'-':>6}  {status:<10} {e.issue_key:<10} {e.rule}  {e.action}: {e.detail}"
                  for e in held]
        if held:
            counts.append(f"{len(held)} {words}")
    return lines, counts


def _find(store: Outbox, number: int) -> OutboxMessage:
    found = store.outbox_message(number)
    if found is None:
        raise UsageError(f"no outbox message {number}; `ticketflow outbox` lists them")
    return found


def outbox(args: argparse.Namespace, settings: Settings) -> int:
    """List (the default), retry or drop. Works beside a running service: each change is one
    short write to the state, and the service picks a retried message up at its next delivery."""
    from connector.app import open_state
    from connector.mail.pause import Pauses

    store = open_state(settings)
    try:
        if args.action == "retry":
            _retry(store, None if args.all else args.id)
        elif args.action == "drop":
            message = _find(store, args.id)
            if not store.drop(args.id):
                raise UsageError(f"message {args.id} was {message.status} already; nothing to drop")
            print(f"message {args.id} ({message.template} for {message.issue_key}) dropped")
        else:
            for pause in Pauses(store).active():
                print(pause.describe())
            statuses: tuple[OutboxStatus, ...] = _ALL if args.all else ("pending", "failed")
            messages = store.outbox(statuses)
            for message in messages:
                print(_line(message))
            held, held_counts = held_lines(store)
            for line in held:
                print(line)
            counts = {s: sum(m.status == s for m in messages) for s in statuses}
            print(", ".join([*(f"{n} {s}" for s, n in counts.items()), *held_counts]))
    finally:
        store.close()
    return 0


def _retry(store: DeliveryState, number: int | None) -> None:
    """Release one message (or, with None, every failed one) and end any delivery pause, so
    the next delivery tries at once. A sent or dropped message is left alone."""
    from connector.mail.pause import Pauses

    pauses = Pauses(store)
    for pause in pauses.active():
        pauses.clear(pause.channel)
        print(f"{pause.channel} delivery pause ended; the next delivery tries at once")
    if number is None:
        print(f"{store.requeue_failed()} failed messages will be sent at the next delivery")
        return
    message = _find(store, number)
    if not store.requeue(number):
        raise UsageError(f"message {number} was {message.status} already; nothing to retry")
    print(f"message {number} ({message.template} for {message.issue_key}) will be sent at the "
          "next delivery")


def _checked(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "retry" and (args.id is None) == (not args.all):
        raise UsageError("`ticketflow outbox retry` needs the message number (ID) or --all")
    if args.action == "drop" and args.id is None:
        raise UsageError("`ticketflow outbox drop` needs the message number (ID)")
    return outbox(args, settings)
