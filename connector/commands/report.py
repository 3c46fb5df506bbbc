"""`ticketflow report`: the workflow's charts in one HTML file, or their numbers as JSON or CSV."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from connector.commands.base import add_command, clock_for
from connector.errors import UsageError

if TYPE_CHECKING:
    from connector.settings import Settings

_DEFAULT_OUT = {"html": "report.html", "json": "-", "csv": "report-csv"}
WRITING = "writing"


class ProgressBar:
    """The report's steps as one bar on a terminal, redrawn in place (silent otherwise, so a
    redirected stderr stays clean)."""

    def __init__(self, stream: TextIO, *, total: int, shown: bool | None = None) -> None:
        self.stream, self.total, self.done = stream, total, 0
        self.shown = stream.isatty() if shown is None else shown

    def __call__(self, name: str) -> None:
        self.done = min(self.done + 1, self.total)
        if self.shown:
            filled = 24 * self.done // self.total
            self.stream.write(f"\r[{'#' * filled}{'.' * (24 - filled)}] "
                              f"{self.done}/{self.total} {name:<28}")
            self.stream.flush()

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "report", handler=report, summary="the workflow's charts in one HTML file",
        description="Read the state file (read-only) and write a self-contained HTML report: "
        "tickets opened and completed, time in status per tier, escalations, promises kept, "
        "satisfaction, mail intake and the slowest open tickets. It opens offline, on a "
        "phone and in print. --format json or csv gives the numbers behind every chart.",
        settings=("state_db", "config_dir", "jira_url"))
    parser.add_argument("--since", default="30d", metavar="PERIOD",
                        help='how far back: "30d" (the default: today and the 29 days '
                        'before), "12w", "48h", or a date such as 2026-11-01')
    parser.add_argument("--project", metavar="KEY", help="one project only (default: all)")
    parser.add_argument("--format", choices=["html", "json", "csv"], default="html",
                        help="html (default), json (every number), csv (one file per table)")
    parser.add_argument("--out", metavar="PATH", help="where to write: a file for html "
                        "(default report.html) and json (default: standard output, or -), "
                        "a folder for csv (default report-csv)")
    parser.add_argument("folder", nargs="?", metavar="DIR", help="the folder for --format csv "
                        "(the same as --out)")


def report(args: argparse.Namespace, settings: Settings) -> int:
    """Compute the figures once and write them in the format asked for."""
    from zoneinfo import ZoneInfo

    from connector.config.loader import load_config
    from connector.report.compose import parse_since, report_figures, tracker_links
    from connector.report.export import to_json, write_csv
    from connector.report.page import render
    from connector.report.records import STEPS, Scope

    if args.folder is not None and (args.format != "csv" or args.out is not None):
        raise UsageError("a folder after the options is for `--format csv DIR` only; "
                         "use --out PATH otherwise")
    config = load_config(args.config_dir)
    now = clock_for(args).now()
    since = parse_since(args.since, now, ZoneInfo(config.rules.calendar.timezone))
    bar = ProgressBar(sys.stderr, total=len(STEPS) + 1)
    figures = report_figures(settings.state_db, config, Scope(since, now, args.project),
                             link=tracker_links(settings.jira_url), step=bar)
    target = args.folder or args.out or _DEFAULT_OUT[args.format]
    bar(WRITING)
    if args.format == "csv":
        written = write_csv(figures, Path(target))
        bar.finish()
        print(f"{len(written)} tables written to {target}/")
        return 0
    document = to_json(figures) if args.format == "json" else render(figures)
    bar.finish()
    if target == "-":
        sys.stdout.write(document)
    else:
        Path(target).write_text(document, encoding="utf-8")
        print(f"report written to {target}")
    return 0
