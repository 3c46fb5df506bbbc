"""Category, tier, customer email and satisfaction kept where mappings.yaml says, and read back.

A value lives in a component, in a label with a prefix (`cat-data-export`, `tier-2`) or in a custom
field. Writing replaces only ticketflow's own component or label, so people's labels survive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.config.loader import Config
from connector.config.mappings import jira_section
from connector.config.trackers import ComponentTarget, CustomFieldTarget, FieldMap, LabelTarget
from connector.tracker.jira.records import ChangeItem, Issue
from connector.tracker.values import UNSET, Unset

Target = ComponentTarget | LabelTarget | CustomFieldTarget


@dataclass(frozen=True)
class TicketFields:
    """What ticketflow keeps on a ticket, as plain values (None when not set)."""

    category: str | None = None
    tier: int | None = None
    customer_email: str | None = None
    satisfaction: int | None = None


def slug(name: str) -> str:
    """`Data export` -> `data-export`: a label cannot contain spaces."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class FieldCodec:
    """Turns ticket values into Jira field updates per mappings.yaml, and reads them back."""

    def __init__(self, fields: FieldMap, *, categories: Sequence[str]) -> None:
        self._map = fields
        self._categories = list(categories)

    @classmethod
    def for_config(cls, config: Config) -> FieldCodec:
        """The codec of a loaded configuration: mappings.yaml's fields, rules.yaml's categories."""
        return cls(jira_section(config.mappings).fields,
                   categories=[c.name for c in config.rules.categories])

    def custom_field_ids(self) -> list[str]:
        """The custom fields to ask for when reading issues."""
        targets: Iterable[Target | None] = (
            self._map.category,
            self._map.tier,
            self._map.customer_email,
            self._map.satisfaction,
        )
        return [t.custom_field for t in targets if isinstance(t, CustomFieldTarget)]

    def reads_first(self, given: Mapping[str, Any]) -> bool:
        """Whether writing these workflow fields needs the issue first: a value kept in a
        label or a component replaces only ticketflow's own among the issue's others."""
        wanted = {"customer_email" if name == "customer" else name for name in given}
        return any(not isinstance(target, CustomFieldTarget)
                   for name, target in self._targets() if name in wanted)

    def fields_in(self, item: ChangeItem) -> list[str]:
        """Which of category, tier, customer_email and satisfaction a changelog item changed
        (a label item changes those whose prefixed label differs before and after)."""
        found = []
        for name, target in self._targets():
            if isinstance(target, CustomFieldTarget):
                hit = item.field_id == target.custom_field
            elif isinstance(target, LabelTarget):
                hit = _is_labels(item) and _prefixed(item.from_string, target) != _prefixed(
                    item.to_string, target)
            else:
                hit = _is_components(item)
            if hit:
                found.append(name)
        return found

    def others_changed(self, item: ChangeItem) -> bool:
        """Whether a label item also changed labels that are not ticketflow's own."""
        if not _is_labels(item):
            return False
        prefixes = tuple(t.label_prefix for _, t in self._targets() if isinstance(t, LabelTarget))
        before = {x for x in (item.from_string or "").split() if not x.startswith(prefixes)}
        after = {x for x in (item.to_string or "").split() if not x.startswith(prefixes)}
        return before != after

    def _targets(self) -> list[tuple[str, Target]]:
        named = (("category", self._map.category), ("tier", self._map.tier),
                 ("customer_email", self._map.customer_email),
                 ("satisfaction", self._map.satisfaction))
        return [(name, target) for name, target in named if target is not None]

    def read(self, issue: Issue) -> TicketFields:
        """The values ticketflow wrote (or a person set) on this issue."""
        tier = self._read(issue, self._map.tier, categories=False)
        satisfaction = self._read(issue, self._map.satisfaction, categories=False)
        email = self._read(issue, self._map.customer_email, categories=False)
        return TicketFields(
            category=_as_text(self._read(issue, self._map.category, categories=True)),
            tier=_as_int(tier),
            customer_email=_as_text(email),
            satisfaction=_as_int(satisfaction),
        )

    def updates(
        self,
        issue: Issue | None,
        *,
        category: str | Unset | None = UNSET,
        tier: int | Unset | None = UNSET,
        customer_email: str | Unset | None = UNSET,
        satisfaction: int | Unset | None = UNSET,
    ) -> dict[str, Any]:
        """Raw Jira `fields` that set the given values (None clears); others are left alone."""
        labels = list(issue.labels) if issue else []
        components = list(issue.components) if issue else []
        out: dict[str, Any] = {}
        wanted: list[tuple[Target | None, Any, bool]] = [
            (self._map.category, category, True),
            (self._map.tier, tier, False),
            (self._map.customer_email, customer_email, False),
            (self._map.satisfaction, satisfaction, False),
        ]
        for target, value, is_category in wanted:
            if value is UNSET or target is None:
                continue
            if isinstance(target, CustomFieldTarget):
                out[target.custom_field] = value
            elif isinstance(target, LabelTarget):
                labels = [x for x in labels if not x.startswith(target.label_prefix)]
                if value is not None:
                    labels.append(target.label_prefix + slug(str(value)))
                out["labels"] = labels
            else:
                owned = set(self._categories) if is_category else set()
                components = [c for c in components if c not in owned]
                if value is not None:
                    components.append(str(value))
                out["components"] = [{"name": c} for c in components]
        return out

    def _read(self, issue: Issue, target: Target | None, *, categories: bool) -> Any:
        if target is None:
            return None
        if isinstance(target, CustomFieldTarget):
            value = issue.custom_fields.get(target.custom_field)
            return value.get("value") if isinstance(value, dict) else value
        if isinstance(target, LabelTarget):
            for label in issue.labels:
                if label.startswith(target.label_prefix):
                    return self._unslug(label.removeprefix(target.label_prefix), categories)
            return None
        known = [c for c in issue.components if c in self._categories]
        return known[0] if known else None

    def _unslug(self, text: str, categories: bool) -> str:
        if categories:
            for name in self._categories:
                if slug(name) == text:
                    return name
        return text


def _is_labels(item: ChangeItem) -> bool:
    return (item.field_id or item.field).lower() == "labels"


def _is_components(item: ChangeItem) -> bool:
    return (item.field_id or item.field).lower() in ("components", "component")


def _prefixed(labels: str | None, target: LabelTarget) -> set[str]:
    return {x for x in (labels or "").split() if x.startswith(target.label_prefix)}


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
