"""Jira's time: its date format, the caller's time zone, and JQL date literals."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.sandbox.clock import to_ms

# The literal forms Jira accepts for a date in JQL, read in the searching user's time zone.
_JQL_DATE = re.compile(
    r"^(?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2}))?$"
)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; ValueError for names Jira would not know either."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def jira_datetime(ms: int, tz_name: str) -> str:
    """Format like Jira does: `2026-11-26T10:15:30.123-0600`, in the caller's time zone."""
    local = datetime.fromtimestamp(ms // 1000, zone(tz_name))
    return f"{local:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}{local:%z}"


def parse_jira_datetime(text: str) -> datetime:
    """Parse Jira's date-time format (offset without a colon) into an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def parse_jql_date(text: str, tz_name: str) -> int | None:
    """Epoch ms of a JQL date literal (`yyyy/MM/dd HH:mm` and friends) in `tz_name`, or None."""
    match = _JQL_DATE.match(text.strip())
    if match is None:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        local = datetime(parts["y"], parts["m"], parts["d"], parts.get("H", 0),
                         parts.get("M", 0), tzinfo=zone(tz_name))
    except ValueError:
        return None
    return to_ms(local)
