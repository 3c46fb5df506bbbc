"""The workflow transition that leads to a status, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass

from connector.errors import NoTransitionError


@dataclass(frozen=True)
class Option:
    """One transition a ticket's current status offers: its id, name and target status."""

    id: str
    name: str
    to: str


def choose(key: str, current: str, target: str, found: list[Option]) -> Option:
    """The transition leading to `target`, or a NoTransitionError that shows what is possible."""
    for option in found:
        if option.to.lower() == target.lower():
            return option
    offered = ", ".join(f'"{o.name}" -> {o.to}' for o in found) or "none"
    raise NoTransitionError(
        f'{key} is in "{current}"; no transition leads to "{target}". Available: {offered}'
    )
