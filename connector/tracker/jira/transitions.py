"""Workflow transitions found by the name of the status they lead to, cached per workflow edge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connector.tracker.transitions import Option


def options(raw: Iterable[Mapping[str, Any]]) -> list[Option]:
    """Transitions as `GET issue/{key}/transitions` (or `expand=transitions`) lists them."""
    return [
        Option(
            id=str(t["id"]),
            name=str(t.get("name") or ""),
            to=str((t.get("to") or {}).get("name") or ""),
        )
        for t in raw
    ]


class TransitionCache:
    """(project, from status) -> {target status: transition id}.

    Transition ids are per workflow edge. ticketflow files one issue type per project
    (mappings.yaml), so one project means one workflow; an issue of another type with another
    workflow makes a cached id fail with a 400, which `forget`s it and asks Jira again.
    """

    def __init__(self) -> None:
        self._edges: dict[tuple[str, str], dict[str, str]] = {}

    def lookup(self, project: str, from_status: str, to_status: str) -> str | None:
        return self._edges.get((project, from_status.lower()), {}).get(to_status.lower())

    def learn(self, project: str, from_status: str, found: list[Option]) -> None:
        self._edges[(project, from_status.lower())] = {o.to.lower(): o.id for o in found}

    def forget(self, project: str, from_status: str) -> None:
        self._edges.pop((project, from_status.lower()), None)
