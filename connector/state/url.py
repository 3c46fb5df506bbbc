"""Telling a PostgreSQL URL from a SQLite path, and showing one without its password.

Kept apart from connector.state.postgres so settings and messages need not load psycopg.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def is_postgres_url(location: object) -> bool:
    """Whether TICKETFLOW_STATE_DB names a PostgreSQL database (anything else is a file)."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def shown(url: str) -> str:
    """The URL without its password (in the user part or libpq's `password=` parameter),
    fit for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*=-"), ""))


def describe(location: Path | str) -> str:
    """The location for messages and logs: a URL loses its password."""
    return shown(str(location)) if is_postgres_url(location) else str(location)
