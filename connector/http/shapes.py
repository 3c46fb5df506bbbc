"""Reading a tracker's JSON answers: a wrong shape is a MalformedAnswerError (transient, so the
caller tries again later), never a KeyError or AttributeError that ends a cycle."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from connector.errors import MalformedAnswerError


@contextmanager
def reading(what: str, *, who: str) -> Iterator[None]:
    """Read `who`'s answer inside: a missing key, a value of the wrong type or an unreadable
    time is a MalformedAnswerError naming `what`."""
    try:
        yield
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as error:
        raise MalformedAnswerError(
            f"{what}: {who}'s answer does not have the expected shape "
            f"({type(error).__name__}: {error})"[:300]) from error


def an_object(value: Any, what: str, *, who: str) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else a MalformedAnswerError naming `what`."""
    if not isinstance(value, Mapping):
        raise MalformedAnswerError(
            f"{what}: expected a JSON object from {who}, got {type(value).__name__}")
    return value


def a_list(value: Any, what: str, *, who: str) -> Sequence[Any]:
    """`value` if it is a JSON array (None counts as empty), else a MalformedAnswerError."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedAnswerError(
            f"{what}: expected a JSON array from {who}, got {type(value).__name__}")
    return value
