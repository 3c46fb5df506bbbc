"""How the state stores instants: fixed-width UTC text, so stored times sort and compare as text."""

from __future__ import annotations

from datetime import UTC, datetime


def to_text(value: datetime) -> str:
    """Fixed-width UTC text with microseconds; a naive datetime is refused (its zone is a guess)."""
    if value.utcoffset() is None:
        raise ValueError(f"state needs timezone-aware datetimes, got {value!r}")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def to_text_or_none(value: datetime | None) -> str | None:
    return None if value is None else to_text(value)


# Stored text always carries +00:00, so the results are aware UTC datetimes.
from_text = datetime.fromisoformat


def from_text_or_none(text: str | None) -> datetime | None:
    return None if text is None else from_text(text)
