"""`ticketflow backtest`: the tracker's recent history replayed through the current rules (and
a candidate's), read-only: actions per rule, the tickets where they differ, and the cost."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.commands.base import TRACKER_SETTINGS, add_command, clock_for

if TYPE_CHECKING:
    from connector.backtest.compare import Comparison
    from connector.backtest.read import Reading
    from connector.backtest.replay import Window
    from connector.engine.conditions import Context
    from connector.settings import Settings

SHOWN = 20  # differing tickets printed; --format json has them all


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "backtest", handler=backtest, summary="replay recent history through rules",
        description="Read every ticket changed since --since from the tracker (reads only) and "
        "replay its history through the current rules and, with --candidate, another "
        "configuration folder's: actions per rule for each, then the tickets where they "
        "differ with why. Writes nothing to the tracker, the ledger, the outbox or a mailbox.",
        settings=TRACKER_SETTINGS)
    parser.add_argument("--since", default="30d", metavar="PERIOD",
                        help='how far back: "30d" (the default), "12w", "48h" or a date')
    parser.add_argument("--candidate", type=Path, metavar="DIR",
                        help="a configuration folder with the rules to compare (its rules.yaml "
                        "and rules/; e.g. a checkout of the change)")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="text (default) or json: every firing and difference")


def backtest(args: argparse.Namespace, settings: Settings) -> int:
    """Replay the window through each version and print what differs, and the cost."""
    from zoneinfo import ZoneInfo

    from connector.app import connect_tracker, require_tracker_settings, vocabulary
    from connector.backtest.compare import Version, compare, to_json
    from connector.backtest.read import read_window
    from connector.backtest.replay import Window
    from connector.config.loader import load_config
    from connector.engine.calendar import BusinessCalendar
    from connector.engine.conditions import Context
    from connector.metrics import tracker_requests
    from connector.report.compose import parse_since

    config = load_config(args.config_dir)
    require_tracker_settings(config, settings)
    configs = {"current": config}
    if args.candidate is not None:
        configs["candidate"] = load_config(args.candidate)
    now = clock_for(args).now()
    window = Window(parse_since(args.since, now, ZoneInfo(config.rules.calendar.timezone)), now)
    tracker = connect_tracker(config, settings)  # no state: nothing is written there
    reading = read_window(tracker, window, project=config.mappings.project,
                          vocabulary=vocabulary(config, tracker.myself().ref),
                          requests=tracker_requests)
    versions = [Version(name, c.rules.rules, Context(
        c, BusinessCalendar.from_config(c.rules.calendar), now)) for name, c in configs.items()]
    comparison = compare(reading.histories, versions, window)
    if args.format == "json":
        print(json.dumps(to_json(comparison, window, _cost(reading)), indent=2))
    else:
        for line in _text(comparison, window, reading, versions[0].ctx):
            print(line)
    return 0


def _cost(reading: Reading) -> dict[str, Any]:
    return {"tickets": len(reading.histories), "feed_pages": reading.pages,
            "comment_reads": reading.comment_reads, "tracker_requests": reading.requests,
            "seconds": round(reading.seconds, 3)}


def _text(comparison: Comparison, window: Window, reading: Reading,
          ctx: Context) -> list[str]:
    versions = comparison.versions
    events = sum(len(h.events) for h in reading.histories)
    lines = [f"backtest {ctx.local(window.start)} .. {ctx.local(window.end)}: "
             f"{len(reading.histories)} tickets changed, {events} events"]
    width = max([len(r) for r in comparison.counts] + [len("actions by rule")])
    lines.append(f"{'actions by rule':<{width}}  " + "  ".join(f"{v:>9}" for v in versions))
    for rule, by_version in comparison.counts.items():
        lines.append(f"{rule:<{width}}  " + "  ".join(f"{by_version[v]:>9}" for v in versions))
    if len(versions) > 1:
        shown = comparison.differences[:SHOWN]
        lines.append(f"tickets where they differ: {len(comparison.differences)}"
                     + (f" (the first {SHOWN}; --format json has all)"
                        if len(comparison.differences) > SHOWN else ""))
        for difference in shown:
            lines.append(f'{difference.key} "{difference.summary}"')
            lines += difference.lines
    lines.append(f"cost: {reading.requests} tracker requests ({reading.pages} feed pages, "
                 f"{reading.comment_reads} comment reads), {reading.seconds:.2f} s; read "
                 "only: nothing was written to the tracker, the ledger, the outbox or a mailbox")
    return lines
