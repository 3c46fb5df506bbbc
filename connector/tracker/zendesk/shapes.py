"""Reading Zendesk's answers: a wrong shape is a MalformedAnswerError (transient), never a crash."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from connector.http import shapes


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Read Zendesk's answer inside: a wrong shape is a MalformedAnswerError."""
    with shapes.reading(what, who="Zendesk"):
        yield


def an_object(value: Any, what: str) -> Mapping[str, Any]:
    return shapes.an_object(value, what, who="Zendesk")


def a_list(value: Any, what: str) -> Sequence[Any]:
    return shapes.a_list(value, what, who="Zendesk")


def member(body: Any, key: str, what: str) -> Mapping[str, Any]:
    """`body[key]` as an object (`{"ticket": {...}}` -> the ticket)."""
    return an_object(an_object(body, what).get(key), f"{what}: {key}")


def members(body: Any, key: str, what: str) -> list[Mapping[str, Any]]:
    """`body[key]` as a list of objects."""
    return [an_object(item, f"{what}: {key}")
            for item in a_list(an_object(body, what).get(key), f"{what}: {key}")]


def parse_time(value: Any) -> datetime:
    """Zendesk's `2026-11-30T14:00:00Z` (or epoch seconds) as an aware datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def an_id(value: Any) -> str | None:
    """A Zendesk id (an integer) as text; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(f"not an id: {value!r}")
    return str(value)
