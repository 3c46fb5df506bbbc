"""Compiled JQL conditions: a test per issue, plus candidate ids from the store's indexes."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection
from dataclasses import dataclass

from connector.sandbox.jira.model import Issue
from connector.sandbox.jira.store import Store


class Plan:
    """A compiled condition: a per-issue test plus, where an index helps, candidate ids."""

    def matches(self, issue: Issue) -> bool:
        raise NotImplementedError

    def estimate(self, store: Store) -> int | None:
        """How many candidates `candidates` would give; None when it cannot narrow at all."""
        return None

    def candidates(self, store: Store) -> Collection[int] | None:
        return None


@dataclass(slots=True)
class SetPlan(Plan):
    attr: str  # "id", "project_id" or "status_id"
    values: frozenset[object]
    negate: bool

    def matches(self, issue: Issue) -> bool:
        return (getattr(issue, self.attr) in self.values) != self.negate

    def _index(self, store: Store) -> dict[object, set[int]] | None:
        return {"project_id": store.by_project, "status_id": store.by_status}.get(
            self.attr)  # type: ignore[return-value]

    def estimate(self, store: Store) -> int | None:
        if self.negate:
            return None
        index = self._index(store)
        if index is None:
            return len(self.values)
        return sum(len(index.get(v, ())) for v in self.values)

    def candidates(self, store: Store) -> Collection[int] | None:
        if self.negate:
            return None
        index = self._index(store)
        if index is None:
            return [v for v in self.values if isinstance(v, int)]
        if len(self.values) == 1:
            return index.get(next(iter(self.values)), set())
        return set().union(*(index.get(v, set()) for v in self.values))


COMPARE: dict[str, Callable[[int, int], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


@dataclass(slots=True)
class DatePlan(Plan):
    attr: str  # "created" or "updated"
    op: str
    ms: int

    def matches(self, issue: Issue) -> bool:
        return COMPARE[self.op](getattr(issue, self.attr), self.ms)

    def _bounds(self, store: Store) -> tuple[list[tuple[int, int]], int, int] | None:
        index = store.updated_index if self.attr == "updated" else store.created_index
        first, after = bisect_left(index, (self.ms,)), bisect_left(index, (self.ms + 1,))
        spans = {"=": (first, after), ">": (after, len(index)), ">=": (first, len(index)),
                 "<": (0, first), "<=": (0, after)}
        if self.op not in spans:
            return None
        return index, *spans[self.op]

    def estimate(self, store: Store) -> int | None:
        bounds = self._bounds(store)
        return None if bounds is None else bounds[2] - bounds[1]

    def candidates(self, store: Store) -> Collection[int] | None:
        bounds = self._bounds(store)
        if bounds is None:
            return None
        index, start, stop = bounds
        return [issue_id for _, issue_id in index[start:stop]]


@dataclass(slots=True)
class AndPlan(Plan):
    children: list[Plan]

    def matches(self, issue: Issue) -> bool:
        return all(child.matches(issue) for child in self.children)

    def _best(self, store: Store) -> Plan | None:
        sized = [(n, i) for i, c in enumerate(self.children)
                 if (n := c.estimate(store)) is not None]
        return self.children[min(sized)[1]] if sized else None

    def estimate(self, store: Store) -> int | None:
        best = self._best(store)
        return None if best is None else best.estimate(store)

    def candidates(self, store: Store) -> Collection[int] | None:
        best = self._best(store)
        return None if best is None else best.candidates(store)


@dataclass(slots=True)
class OrPlan(Plan):
    children: list[Plan]

    def matches(self, issue: Issue) -> bool:
        return any(child.matches(issue) for child in self.children)

    def estimate(self, store: Store) -> int | None:
        sizes = [child.estimate(store) for child in self.children]
        return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)

    def candidates(self, store: Store) -> Collection[int] | None:
        if self.estimate(store) is None:
            return None
        found: set[int] = set()
        for child in self.children:
            found.update(child.candidates(store) or ())
        return found


@dataclass(slots=True)
class NotPlan(Plan):
    child: Plan

    def matches(self, issue: Issue) -> bool:
        return not self.child.matches(issue)
