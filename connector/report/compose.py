"""One report from the state file: the period asked for, the figures, the links to tickets."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.config.durations import parse_duration
from connector.config.loader import Config
from connector.errors import UsageError
from connector.report.figures import Figures, Link, build, no_link
from connector.report.page import render
from connector.report.queries import StateReportSource
from connector.report.records import Scope, Step, no_step
from connector.state.location import StateLocation
from connector.state.rows import gc_paused

_IN_DAYS = re.compile(r"\s*\d+\s*(d|days?|w|weeks?)\s*", re.IGNORECASE)
_EXPECTED = 'expected a period like "30d", "12w", "48h" or a date like 2026-11-01'


def parse_since(value: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The start of the period: a date (its midnight in the team's zone), an ISO instant, or
    a wall-time duration back from now; days and weeks count as calendar days with today's
    (so "7d" is today and the six days before it, from midnight), hours exactly."""
    text = value.strip()
    try:
        if len(text) == 10:
            since = datetime.combine(datetime.fromisoformat(text).date(), time(), zone)
        else:
            since = datetime.fromisoformat(text)
            if since.tzinfo is None:
                raise UsageError(f"--since {value!r} has no UTC offset; {_EXPECTED}")
    except ValueError:
        since = _back_from(text, now, zone)
    if since >= now:
        raise UsageError(f"--since {value!r} is not before now ({now.isoformat()}); {_EXPECTED}")
    return since


def _back_from(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    try:
        duration = parse_duration(text)
    except ValueError:
        raise UsageError(f"--since {text!r} is neither a date nor a period; {_EXPECTED}") \
            from None
    if duration.business:
        raise UsageError(f"--since {text!r}: a report's period is calendar time; {_EXPECTED}")
    days, rest = divmod(duration.minutes, 24 * 60)
    if rest or not _IN_DAYS.fullmatch(text):  # "48h" means 48 hours back, not two dates
        return now - timedelta(minutes=duration.minutes)
    today = now.astimezone(zone).date()
    return datetime.combine(today - timedelta(days=days - 1), time(), zone)


def report_figures(state_db: StateLocation, config: Config, scope: Scope, *,
                   link: Link = no_link, slowest: int = 10, step: Step = no_step) -> Figures:
    """Read the state file (read-only) and compute every figure of the report."""
    # Hundreds of thousands of rows and no cycle among them: the cyclic GC, run every 700
    # allocations over a growing heap, would cost more than the work (as for the mirror).
    with gc_paused():
        state = StateReportSource(state_db).read(scope, slowest=slowest, step=step)
        return build(state, config, link=link, slowest_count=slowest, step=step)


def html_report(path: Path, state_db: StateLocation, config: Config, scope: Scope, *,
                link: Link = no_link) -> Path:
    """Write the report page for `scope` to `path`."""
    path.write_text(render(report_figures(state_db, config, scope, link=link)),
                    encoding="utf-8")
    return path
